/**
 * Figure 6 — memory: the engine's peak resident memory during a run of many tasks, measured in a child
 * process (bench/memory-child.ts) so the bench's own allocations do not count.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type FigureResult, measured } from '../lib/report.js';
import { round } from '../lib/stats.js';

const CHILD = fileURLToPath(new URL('../memory-child.ts', import.meta.url));
const MB = 1024 * 1024;

type ChildReport = {
  tasks: number;
  completed: number;
  state: string;
  ms: number;
  startRssBytes: number;
  peakRssSampledBytes: number;
  peakHeapUsedBytes: number;
  peakHeapTotalBytes: number;
  peakExternalBytes: number;
  vmHwmBytes: number | null;
  rssAnonBytes: number | null;
  rssFileBytes: number | null;
  series: unknown[];
  queries: Record<string, { count: number; itemsRead: number; ms: number }>;
};

export function memoryFigure(hosts: number, reps: number, quick: boolean): FigureResult {
  const out = spawnSync(process.execPath, ['--import', 'tsx', CHILD, String(hosts), String(reps)], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 16 * MB,
  });
  if (out.status !== 0) throw new Error(`memory child failed (${out.status}): ${out.stderr.slice(-2000)}`);
  const report = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport;
  if (report.completed !== report.tasks)
    throw new Error(`memory run completed ${report.completed} of ${report.tasks} tasks`);
  const peak = report.vmHwmBytes ?? report.peakRssSampledBytes;
  const size = `${hosts} hosts × ${reps} reps = ${report.tasks.toLocaleString('en-US')} tasks`;
  return {
    id: 'memory',
    title: 'Engine memory',
    method:
      `Peak RSS (VmHWM) of a child process running ${size} of /bin/true through the local engine` +
      `${quick ? ' (--quick: a smaller run than the 10,000-task target run)' : ''}; host workers not counted.`,
    measurements: [
      measured(
        `peak RSS, ${size}`,
        peak / MB,
        'MB',
        { comparator: '<', value: 300, unit: 'MB' },
        quick ? 'quick: smaller run' : undefined,
      ),
      measured('RSS growth from start to peak', (peak - report.startRssBytes) / MB, 'MB'),
      measured('peak JS heap used', report.peakHeapUsedBytes / MB, 'MB'),
      measured(
        'journal items read back per task (whole-run TASK# queries)',
        (report.queries['Query TASK# (whole run)']?.itemsRead ?? 0) / report.tasks,
        'items',
      ),
      measured('run time per task', report.ms / report.tasks, 'ms'),
    ],
    details: {
      hosts,
      reps,
      tasks: report.tasks,
      state: report.state,
      ms: round(report.ms, 0),
      startRssMB: round(report.startRssBytes / MB, 1),
      peakRssSampledMB: round(report.peakRssSampledBytes / MB, 1),
      vmHwmMB: report.vmHwmBytes === null ? null : round(report.vmHwmBytes / MB, 1),
      peakHeapUsedMB: round(report.peakHeapUsedBytes / MB, 1),
      peakHeapTotalMB: round(report.peakHeapTotalBytes / MB, 1),
      peakExternalMB: round(report.peakExternalBytes / MB, 1),
      /** At the end: anonymous memory (heaps, native) and mapped files (LevelDB tables, code) in RSS. */
      endRssAnonMB: report.rssAnonBytes === null ? null : round(report.rssAnonBytes / MB, 1),
      endRssFileMB: report.rssFileBytes === null ? null : round(report.rssFileBytes / MB, 1),
      series: report.series,
      queries: report.queries,
    },
  };
}
