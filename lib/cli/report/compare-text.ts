/**
 * `compare`'s table for people: one row per workload × metric with both means, the change, the p-value
 * and the verdict (coloured on a terminal), then a one-line summary and the gate's outcome.
 */
import type { Comparison, ComparisonRow, Verdict } from '../../core/report/compare.js';
import type { Style } from '../colour.js';
import { table } from '../format.js';
import type { Io } from '../io.js';
import { formatP, formatPercent, formatValue } from './numbers.js';

const VERDICT_STYLE: Partial<Record<Verdict, Style>> = {
  improved: 'green',
  regressed: 'red',
  changed: 'yellow',
  'insufficient data': 'dim',
  'only in baseline': 'dim',
  'only in candidate': 'dim',
};

function side(s: ComparisonRow['baseline']): string {
  return s ? `${formatValue(s.mean)} (n=${s.n})` : '-';
}

/**
 * @example
 * io.out(renderComparison(io, comparison, gateFailures(comparison, 5), 5));
 */
export function renderComparison(
  io: Io,
  comparison: Comparison,
  failures: readonly ComparisonRow[] | undefined,
  thresholdPercent: number | undefined,
): string {
  const { baseline, candidate } = comparison;
  const lines = [
    `Baseline   ${baseline.runId} (${baseline.name}, ${baseline.state})`,
    `Candidate  ${candidate.runId} (${candidate.name}, ${candidate.state})`,
    `Welch's t-test over every repetition of every host, alpha ${comparison.alpha}`,
    '',
  ];
  const rows = comparison.rows.map((r) => {
    const style = VERDICT_STYLE[r.verdict];
    return [
      r.workload,
      r.metric,
      r.unit || '-',
      side(r.baseline),
      side(r.candidate),
      formatPercent(r.changePercent),
      formatP(r.p),
      style ? io.colours.out[style](r.verdict) : r.verdict,
    ];
  });
  const counts = new Map<Verdict, number>();
  for (const r of comparison.rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  const summary =
    comparison.rows.length === 0
      ? 'No metrics in either run.'
      : `${[...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ')}.`;
  let text = `${lines.join('\n')}\n`;
  if (rows.length > 0) {
    text += table(['WORKLOAD', 'METRIC', 'UNIT', 'BASELINE', 'CANDIDATE', 'CHANGE', 'P', 'VERDICT'], rows);
  }
  text += `\n${summary}\n`;
  if (failures !== undefined && thresholdPercent !== undefined) {
    text +=
      failures.length === 0
        ? `${io.colours.out.green('Gate passed')}: no metric regressed significantly by more than ${thresholdPercent}%.\n`
        : `${io.colours.out.red('Gate failed')}: ${failures.length} metric(s) regressed significantly by more than ${thresholdPercent}%: ` +
          `${failures.map((f) => `${f.workload}/${f.metric} (${formatPercent(f.changePercent)})`).join(', ')}\n`;
  }
  return text;
}
