/**
 * `report --format md`: the run report as Markdown for people — a header, the outliers, and one table
 * per workload with a fleet row and a row per host for each metric. Renders in GitHub, in a pull
 * request comment, or as plain text in a terminal.
 */
import type { MetricReport, RunReport } from '../../core/report/run-report.js';
import { formatP, formatPercent, formatValue, summaryCells, warmupNote } from './numbers.js';
import { outlierSummary } from './outlier-summary.js';

/**
 * Escapes what would break a table cell or start Markdown markup. Underscores stay: names are
 * snake_case, and GitHub does not emphasise inside words, so `hash_throughput` reads as it is.
 * @example
 * mdCell('a|b*'); // 'a\\|b\\*'
 */
export function mdCell(text: string): string {
  return text.replace(/([\\|*`<>[\]])/g, '\\$1').replace(/\n/g, ' ');
}

function mdTable(
  header: readonly string[],
  align: readonly ('l' | 'r')[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

const DIRECTION = {
  higher: 'higher is better',
  lower: 'lower is better',
  unknown: 'direction unknown',
} as const;

function metricRows(m: MetricReport): string[][] {
  const unit = mdCell(m.unit || '-');
  const name = `${mdCell(m.metric)}`;
  const fleet = [
    `**${name}**`,
    unit,
    '**fleet**',
    ...summaryCells(m.fleet),
    `median ${formatValue(m.fleet.medianOfHostMeans)}`,
    '',
  ];
  const hosts = m.hosts.map((h) => [
    '',
    '',
    h.outlier ? `**${mdCell(h.host)}** ⚠` : mdCell(h.host),
    ...summaryCells(h),
    h.outlier ? `**${formatPercent(h.deviationPercent)}**` : formatPercent(h.deviationPercent),
    formatP(h.outlierP),
  ]);
  return [fleet, ...hosts];
}

/**
 * @example
 * io.out(renderMarkdown(buildRunReport(input)));
 */
export function renderMarkdown(report: RunReport): string {
  const { run } = report;
  const c = run.counts;
  const out: string[] = [];
  out.push(`# fleetbench report: ${mdCell(run.name)}`, '');
  out.push(
    `- **run** ${mdCell(run.runId)}`,
    `- **state** ${run.state}`,
    `- **tasks** ${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped, ${c.pending} pending, ${c.running} running${warmupNote(run.warmupTasks)}`,
    `- **hosts** ${run.hosts.map(mdCell).join(', ')}`,
    `- **created** ${run.createdAt}, **finished** ${run.finishedAt ?? '-'}`,
    `- **outlier rule** a host mean more than ${report.deviationPercent}% from the median of the host means and significantly different from it (alpha ${report.outlierRule.alpha}, at least ${report.outlierRule.minRepetitions} repetitions and ${report.outlierRule.minHosts} hosts)`,
    '',
  );
  out.push('## Outliers', '');
  const summary = outlierSummary(report);
  out.push(summary.headline, '');
  for (const o of report.outliers) {
    out.push(
      `- **${mdCell(o.host)}** ${mdCell(o.workload)} / ${mdCell(o.metric)}: mean ${mdCell(formatValue(o.mean, o.unit))}, ` +
        `${formatPercent(o.deviationPercent)} from the fleet median ${mdCell(formatValue(o.fleetMedian, o.unit))}, p ${formatP(o.p)}`,
    );
  }
  if (report.outliers.length > 0) out.push('');
  for (const note of summary.notes) out.push(`- ${mdCell(note)}`);
  if (summary.notes.length > 0) out.push('');
  if (report.metrics.length === 0) {
    out.push('No metrics: no task of this run completed with metrics.', '');
    return `${out.join('\n')}`;
  }
  const workloads = [...new Set(report.metrics.map((m) => m.workload))];
  for (const workload of workloads) {
    const metrics = report.metrics.filter((m) => m.workload === workload);
    out.push(`## ${mdCell(workload)}`, '');
    out.push(
      metrics
        .map((m) => `- ${mdCell(m.metric)} (${mdCell(m.unit || 'no unit')}): ${DIRECTION[m.direction]}`)
        .join('\n'),
      '',
    );
    out.push(
      mdTable(
        ['metric', 'unit', 'host', 'n', 'mean', 'stdev', 'min', 'max', 'CV', 'vs median', 'p'],
        ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        metrics.flatMap(metricRows),
      ),
      '',
    );
  }
  return out.join('\n');
}
