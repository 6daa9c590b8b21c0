/**
 * The end-of-run summary: one row per workload with task counts, mean duration and the mean of each metric
 * over completed tasks (warm-ups left out; SI prefixes as in the reports), then the verdict line and where to
 * look next.
 */
import { formatMs } from './format.js';
import type { Io } from './io.js';
import { formatValue } from './report/numbers.js';
import type { RunView } from './run-view.js';
import { table } from './table.js';

export function printSummary(io: Io, view: RunView): void {
  const rows = view.workloads.map((w) => {
    const tasks = view.tasks.filter((t) => t.workload === w);
    // Warm-ups count as done, but their times and metrics are not results.
    const completed = tasks.filter((t) => t.status === 'COMPLETED');
    const measured = completed.filter((t) => !t.warmup);
    const count = (s: string) => tasks.filter((t) => t.status === s).length;
    const durations = measured.map((t) => t.durationMs).filter((d): d is number => d !== null);
    const metricNames = [...new Set(measured.flatMap((t) => Object.keys(t.metrics)))];
    // Own keys only: a metric named `constructor` must not read Object's prototype.
    const metricOf = (t: RunView['tasks'][number], name: string) =>
      Object.hasOwn(t.metrics, name) ? t.metrics[name] : undefined;
    const metrics = metricNames.slice(0, 3).map((name) => {
      const values = measured
        .map((t) => metricOf(t, name)?.value)
        .filter((v): v is number => v !== undefined);
      const unit = measured.map((t) => metricOf(t, name)).find((m) => m !== undefined)?.unit ?? '';
      return `${name}=${formatValue(values.reduce((a, b) => a + b, 0) / values.length, unit)}`;
    });
    return [
      w,
      String(completed.length),
      colourCount(io, count('FAILED'), 'red'),
      colourCount(io, count('SKIPPED') + count('CANCELLED') + count('PENDING'), 'yellow'),
      formatMs(durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : undefined),
      metrics.join(', ') || '-',
    ];
  });
  io.out(`\n${table(['WORKLOAD', 'DONE', 'FAILED', 'NOT RUN', 'MEAN TIME', 'MEAN METRICS'], rows)}`);
  for (const e of view.excludedHosts) io.out(`${io.colours.out.yellow('excluded')} ${e.host}: ${e.reason}\n`);
  const failures = view.tasks.filter((t) => t.status === 'FAILED').slice(0, 5);
  for (const t of failures)
    io.out(`${io.colours.out.red('failed')} ${t.key}: ${t.error ?? 'unknown error'}\n`);
  const c = view.counts;
  const colour =
    view.state === 'FINISHED' && c.failed === 0 ? 'green' : view.state === 'FINISHED' ? 'yellow' : 'red';
  io.out(
    `\nRun ${view.runId} ${io.colours.out[colour](view.state)}${view.reason && view.state !== 'FINISHED' ? ` (${view.reason})` : ''}: ` +
      `${c.completed} completed, ${c.failed} failed, ${c.skipped} skipped, ${c.cancelled} cancelled, ${c.pending} pending.\n` +
      `Details: fleetbench show ${view.runId}\n`,
  );
}

function colourCount(io: Io, n: number, style: 'red' | 'yellow'): string {
  return n > 0 ? io.colours.out[style](String(n)) : '0';
}
