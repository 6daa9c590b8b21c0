/**
 * The outlier rule of `report`: a host whose mean deviates from the fleet median by more than a
 * threshold (default 10 %) is flagged. The median of the hosts' means rather than the fleet mean,
 * because one broken host must not drag the reference towards itself and hide.
 *
 *   deviation % = 100 · (host mean − median of host means) / |median of host means|
 *   outlier     ⇔ |deviation %| > threshold
 *
 * A median of 0 has no relative deviation: nobody is flagged, the deviation is `null`.
 */
import { UsageError } from '../errors.js';
import { median } from './stats.js';

/** The default `--deviation`: 10 %. */
export const DEFAULT_DEVIATION_PERCENT = 10;

export type HostDeviation = {
  readonly host: string;
  readonly deviationPercent: number | null;
  readonly outlier: boolean;
};

/**
 * Checks a `--deviation` threshold: a finite percentage ≥ 0.
 * @throws UsageError otherwise (exit 2)
 * @example
 * assertDeviationPercent(10); // ok
 * assertDeviationPercent(-1); // throws UsageError
 */
export function assertDeviationPercent(percent: number): void {
  if (!Number.isFinite(percent) || percent < 0) {
    throw new UsageError(`invalid deviation threshold ${percent}: must be a percentage >= 0`, {
      hint: 'e.g. --deviation 10 flags hosts more than 10% away from the fleet median',
    });
  }
}

/**
 * Each host's deviation from the median of the hosts' means, and whether it is beyond the threshold.
 * @example
 * flagOutliers([{ host: 'a', mean: 100 }, { host: 'b', mean: 102 }, { host: 'c', mean: 80 }], 10);
 * // median 100 → a: 0 %, b: +2 %, c: −20 % (outlier)
 */
export function flagOutliers(
  hostMeans: readonly { host: string; mean: number }[],
  thresholdPercent: number = DEFAULT_DEVIATION_PERCENT,
): { median: number; hosts: HostDeviation[] } {
  assertDeviationPercent(thresholdPercent);
  const reference = median(hostMeans.map((h) => h.mean));
  return {
    median: reference,
    hosts: hostMeans.map(({ host, mean }) => {
      if (reference === 0 || !Number.isFinite(reference))
        return { host, deviationPercent: null, outlier: false };
      const deviationPercent = (100 * (mean - reference)) / Math.abs(reference);
      return { host, deviationPercent, outlier: Math.abs(deviationPercent) > thresholdPercent };
    }),
  };
}
