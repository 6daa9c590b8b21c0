/**
 * `compare --format md`: the comparison as a pull-request comment. The gate's outcome comes first (a CI job
 * posts the file as it is), then the metrics that moved — regressions first, marked ❌ when they fail the
 * gate — and the metrics without a significant change folded into a `<details>` block, so a comparison of
 * fifty metrics reads in a glance and still holds every number.
 */
import type { Comparison, ComparisonRow, Gate, Verdict } from '../../core/report/compare.js';
import { gateSentence } from './gate-sentence.js';
import { mdCell } from './markdown.js';
import { formatP, formatPercent, formatValue } from './numbers.js';

/** Verdicts shown in the main table, in this order; the others go into the folded one. */
const NOTABLE: readonly Verdict[] = [
  'regressed',
  'changed',
  'improved',
  'only in baseline',
  'only in candidate',
  'insufficient data',
];

const HEADER = ['', 'workload', 'metric', 'unit', 'baseline', 'candidate', 'change', 'p', 'verdict'];
const ALIGN = ['---', '---', '---', '---', '---:', '---:', '---:', '---:', '---'];

// Without the unit: the table has a column for it.
function side(s: ComparisonRow['baseline']): string {
  return s ? `${formatValue(s.mean)} (n=${s.n})` : '-';
}

function mark(row: ComparisonRow, failing: ReadonlySet<ComparisonRow>): string {
  if (failing.has(row)) return '❌';
  if (row.verdict === 'regressed') return '⚠️';
  if (row.verdict === 'improved') return '✅';
  return '';
}

function tableOf(rows: readonly ComparisonRow[], failing: ReadonlySet<ComparisonRow>): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(HEADER),
    line(ALIGN),
    ...rows.map((r) =>
      line([
        mark(r, failing),
        mdCell(r.workload),
        mdCell(r.metric),
        mdCell(r.unit || '-'),
        side(r.baseline),
        side(r.candidate),
        formatPercent(r.changePercent),
        formatP(r.p),
        r.verdict === 'regressed' || failing.has(r) ? `**${r.verdict}**` : r.verdict,
      ]),
    ),
  ].join('\n');
}

/**
 * @example
 * io.out(renderComparisonMarkdown(comparison, evaluateGate(comparison, 5)));
 * // '### ❌ fleetbench compare: gate failed\n\n**Gate failed**: 1 metric(s) regressed …'
 */
export function renderComparisonMarkdown(comparison: Comparison, gate: Gate | null): string {
  const { baseline, candidate } = comparison;
  const failing = new Set(gate?.failures ?? []);
  const out: string[] = [];
  if (gate === null) {
    out.push('### fleetbench compare', '');
  } else {
    const { verdict, detail } = gateSentence(gate);
    out.push(`### ${gate.passed ? '✅' : '❌'} fleetbench compare: ${verdict.toLowerCase()}`, '');
    out.push(`**${verdict}**: ${mdCell(detail)}`, '');
  }
  out.push(
    `Baseline \`${baseline.runId}\` (${mdCell(baseline.name)}, ${baseline.state}) → candidate \`${candidate.runId}\` ` +
      `(${mdCell(candidate.name)}, ${candidate.state}). Welch's t-test over every repetition of every host, ` +
      `alpha ${comparison.alpha}${gate === null ? '' : `, gate: a significant regression of more than ${gate.thresholdPercent}%`}.`,
    '',
  );
  if (comparison.rows.length === 0) {
    out.push('No metrics in either run.', '');
    return out.join('\n');
  }
  // Counted in the tables' order: what moved first.
  const counts = [...NOTABLE, 'no significant change' as const].flatMap((verdict) => {
    const n = comparison.rows.filter((r) => r.verdict === verdict).length;
    return n > 0 ? [`${n} ${verdict}`] : [];
  });
  out.push(`${counts.join(', ')}.`, '');
  const notable = NOTABLE.flatMap((v) => comparison.rows.filter((r) => r.verdict === v));
  const quiet = comparison.rows.filter((r) => !NOTABLE.includes(r.verdict));
  if (notable.length > 0) out.push(tableOf(notable, failing), '');
  if (quiet.length > 0) {
    const summary = `${quiet.length} metric(s) with no significant change`;
    out.push(`<details><summary>${summary}</summary>`, '', tableOf(quiet, failing), '', '</details>', '');
  }
  return out.join('\n');
}
