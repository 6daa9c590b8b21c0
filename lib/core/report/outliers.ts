/**
 * The outlier rule of `report`. A host is flagged when its difference from the rest of the fleet is both
 * practically and statistically significant, and only when there is enough data to tell:
 *
 *   enough data  ⇔ ≥ 3 hosts report the metric, and the host has ≥ 3 repetitions
 *   practical    ⇔ |deviation %| > threshold (default 10),
 *                  deviation % = 100 · (host mean − median of host means) / |median of host means|
 *   statistical  ⇔ p < alpha / k, the one-sample t-test of the host's repetitions against the median
 *                  of host means, k = the number of hosts tested (Bonferroni: 24 hosts tested at 5 %
 *                  each would otherwise flag about one host by chance in every metric)
 *   outlier      ⇔ enough data ∧ practical ∧ statistical
 *
 * The median of the hosts' means rather than the fleet mean, because one broken host must not drag the
 * reference towards itself and hide; and the test is against that median, not against the other hosts'
 * values pooled, because a second broken host would widen the pooled spread and hide the first. Two hosts cannot say which of them is the odd one, and one or two
 * repetitions cannot tell a host's difference from its noise; a median of 0 has no relative deviation.
 * Then no host of the metric is flagged and the report says which of these is why (`OutlierSkip`).
 */

import { oneSampleTP } from './one-sample-t.js';
import { mean, median } from './stats.js';
import {
  assertAlpha,
  assertDeviationPercent,
  DEFAULT_ALPHA,
  DEFAULT_DEVIATION_PERCENT,
} from './thresholds.js';

/** Repetitions a host needs before it can be told apart from its own noise. */
export const MIN_OUTLIER_REPETITIONS = 3;
/** Hosts a metric needs before one of them can be called the odd one. */
export const MIN_OUTLIER_HOSTS = 3;

/** The parameters of the rule, as the report records them. */
export type OutlierRule = {
  readonly deviationPercent: number;
  readonly alpha: number;
  readonly minRepetitions: number;
  readonly minHosts: number;
};

/**
 * Why no host of a metric can be flagged: fewer than 3 hosts report it, no host has 3 repetitions, or the
 * median of the host means is 0.
 */
export type OutlierSkip = 'few-hosts' | 'few-repetitions' | 'zero-median';

export type HostDeviation = {
  readonly host: string;
  readonly deviationPercent: number | null;
  /** The two-sided p of this host's values against the median of host means; `null` when not tested. */
  readonly p: number | null;
  readonly outlier: boolean;
};

/**
 * The rule with the given threshold and significance level, the rest at their fixed values.
 * @throws UsageError for a threshold below 0 or a significance level outside (0, 1)
 * @example
 * outlierRule({ deviationPercent: 5 }); // { deviationPercent: 5, alpha: 0.05, minRepetitions: 3, minHosts: 3 }
 */
export function outlierRule(options: { deviationPercent?: number; alpha?: number } = {}): OutlierRule {
  const deviationPercent = options.deviationPercent ?? DEFAULT_DEVIATION_PERCENT;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  assertDeviationPercent(deviationPercent);
  assertAlpha(alpha);
  return {
    deviationPercent,
    alpha,
    minRepetitions: MIN_OUTLIER_REPETITIONS,
    minHosts: MIN_OUTLIER_HOSTS,
  };
}

/**
 * Each host's deviation from the median of the hosts' means, its test against the other hosts, and
 * whether it is an outlier; `skip` says why no host could be flagged, when none could.
 * @example
 * flagOutliers([{ host: 'a', values: [100, 101, 99] }, { host: 'b', values: [102, 101, 103] },
 *   { host: 'c', values: [80, 81, 79] }], outlierRule());
 * // median 101 → c: −20.8 %, p ≈ 0.0008 (outlier)
 */
export function flagOutliers(
  hostValues: readonly { host: string; values: readonly number[] }[],
  rule: OutlierRule = outlierRule(),
): { median: number; hosts: HostDeviation[]; skip: OutlierSkip | null } {
  const means = hostValues.map((h) => mean(h.values));
  const reference = median(means);
  const relative = reference !== 0 && Number.isFinite(reference);
  const deviation = (m: number) => (relative ? (100 * (m - reference)) / Math.abs(reference) : null);
  const testable = hostValues.map((h) => h.values.length >= rule.minRepetitions);
  const tested = testable.filter(Boolean).length;
  const skip: OutlierSkip | null =
    hostValues.length < rule.minHosts
      ? 'few-hosts'
      : tested === 0
        ? 'few-repetitions'
        : relative
          ? null
          : 'zero-median';
  const hosts = hostValues.map(({ host, values }, i): HostDeviation => {
    const deviationPercent = deviation(means[i] ?? Number.NaN);
    if (skip !== null || !testable[i]) return { host, deviationPercent, p: null, outlier: false };
    const p = oneSampleTP(values, reference);
    const practical = deviationPercent !== null && Math.abs(deviationPercent) > rule.deviationPercent;
    const statistical = p !== null && p < rule.alpha / tested;
    return { host, deviationPercent, p, outlier: practical && statistical };
  });
  return { median: reference, hosts, skip };
}
