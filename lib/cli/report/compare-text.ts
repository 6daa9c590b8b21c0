/**
 * `compare`'s table for people: one row per workload × metric with both means, the change, the p-value
 * and the verdict (coloured on a terminal), then a one-line summary and the gate's outcome.
 */
import type { Comparison, ComparisonRow, Gate, Verdict } from '../../core/report/compare.js';
import type { Style } from '../colour.js';
import type { Io } from '../io.js';
import { table } from '../table.js';
import { gateSentence } from './gate-sentence.js';
import { formatP, formatPercent, formatValue } from './numbers.js';

const VERDICT_STYLE: Partial<Record<Verdict, Style>> = {
  improved: 'green',
  regressed: 'red',
  changed: 'yellow',
  'insufficient data': 'dim',
  'only in baseline': 'dim',
  'only in candidate': 'dim',
};

// Without the unit: the table has a column for it.
function side(s: ComparisonRow['baseline']): string {
  return s ? `${formatValue(s.mean)} (n=${s.n})` : '-';
}

/**
 * @example
 * io.out(renderComparison(io, comparison, evaluateGate(comparison, 5)));
 */
export function renderComparison(io: Io, comparison: Comparison, gate: Gate | null): string {
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
  if (gate !== null) {
    const { verdict, detail } = gateSentence(gate);
    text += `${gate.passed ? io.colours.out.green(verdict) : io.colours.out.red(verdict)}: ${detail}\n`;
  }
  return text;
}
