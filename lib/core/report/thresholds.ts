/**
 * The thresholds of the statistical rules — the significance level of `compare`'s verdicts and of `report`'s
 * outlier rule, the outlier rule's deviation, the CI gate's regression — with their defaults and checks, in
 * a module of their own: the commands name their defaults and refuse bad values without loading the
 * statistics library.
 */
import { UsageError } from '../errors.js';

/** The default `--alpha`: 5 %. */
export const DEFAULT_ALPHA = 0.05;

/** The default `--deviation`: 10 %. */
export const DEFAULT_DEVIATION_PERCENT = 10;

/**
 * Checks a significance level: 0 < alpha < 1.
 * @throws UsageError otherwise (exit 2)
 * @example
 * assertAlpha(0.05); // ok
 */
export function assertAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) {
    throw new UsageError(`invalid significance level ${alpha}: must be between 0 and 1`, {
      hint: 'e.g. --alpha 0.05',
    });
  }
}

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
 * Checks a `--fail-on-regression` threshold: a finite percentage ≥ 0.
 * @throws UsageError otherwise (exit 2)
 * @example
 * assertRegressionThreshold(5); // ok
 */
export function assertRegressionThreshold(thresholdPercent: number): void {
  if (!Number.isFinite(thresholdPercent) || thresholdPercent < 0) {
    throw new UsageError(`invalid regression threshold ${thresholdPercent}: must be a percentage >= 0`, {
      hint: 'e.g. --fail-on-regression 5 fails on any significant regression above 5%',
    });
  }
}
