/**
 * What the report says about outliers, in words shared by the Markdown and HTML reports: the rule as
 * applied, and — for every metric the rule could not check — why, so "no outliers" is never read as "every
 * host is alike" when the run simply had too few repetitions or hosts to tell.
 */
import type { OutlierSkip } from '../../core/report/outliers.js';
import type { RunReport } from '../../core/report/run-report.js';

export type OutlierSummary = {
  /** One sentence: how many outliers, under which rule. */
  readonly headline: string;
  /** One sentence per reason metrics were not checked, and one for the metrics that were. */
  readonly notes: readonly string[];
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function skipNote(skip: OutlierSkip, count: number, report: RunReport): string {
  const rule = report.outlierRule;
  const metrics = plural(count, 'metric');
  switch (skip) {
    case 'few-repetitions': {
      const most = Math.max(
        0,
        ...report.metrics.filter((m) => m.outlierSkip === skip).flatMap((m) => m.hosts.map((h) => h.n)),
      );
      return (
        `${metrics} not checked: no host has ${rule.minRepetitions} repetitions (at most ${most}), too few to tell ` +
        `a host's difference from its own noise; run ${rule.minRepetitions} or more repetitions.`
      );
    }
    case 'few-hosts':
      return `${metrics} not checked: fewer than ${rule.minHosts} hosts report ${count === 1 ? 'it' : 'them'}, and of two hosts neither is the odd one.`;
    case 'zero-median':
      return `${metrics} not checked: the median of the host means is 0, so there is no relative deviation.`;
  }
}

/**
 * @example
 * outlierSummary(report);
 * // { headline: 'No outliers flagged.', notes: ['20 metrics not checked: no host has 3 repetitions (at most 2), …'] }
 */
export function outlierSummary(report: RunReport): OutlierSummary {
  const rule = report.outlierRule;
  const criterion =
    `more than ${rule.deviationPercent}% from the fleet median and significantly different from it ` +
    `(t-test of its repetitions, p < ${rule.alpha} divided by the hosts tested)`;
  const headline =
    report.outliers.length === 0
      ? 'No outliers flagged.'
      : `${plural(report.outliers.length, 'outlier')}: a host mean ${criterion}.`;
  const notes: string[] = [];
  const skips = new Map<OutlierSkip, number>();
  for (const m of report.metrics)
    if (m.outlierSkip) skips.set(m.outlierSkip, (skips.get(m.outlierSkip) ?? 0) + 1);
  for (const [skip, count] of skips) notes.push(skipNote(skip, count, report));
  const checked = report.metrics.filter((m) => m.outlierSkip === null);
  const clean = checked.filter((m) => !m.hosts.some((h) => h.outlier)).length;
  if (clean > 0) {
    notes.push(`${plural(clean, 'metric')} checked without an outlier: no host is ${criterion}.`);
  }
  const untested = checked.flatMap((m) => m.hosts.filter((h) => h.n < rule.minRepetitions)).length;
  if (untested > 0) {
    notes.push(
      `${plural(untested, 'host row')} with fewer than ${rule.minRepetitions} repetitions cannot be flagged.`,
    );
  }
  return { headline, notes };
}
