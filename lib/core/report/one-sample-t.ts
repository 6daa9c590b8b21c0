/**
 * The one-sample t-test the outlier rule runs per host: do a host's repetitions differ from a reference
 * value (the fleet median) beyond the host's own noise? t = (x̄ − μ) / (s / √n), ν = n − 1, two-sided.
 * The test is stdlib's (`@stdlib/stats-ttest`); what stays here is what it leaves undefined: fewer than two
 * values (no variance) and a constant sample (no spread), where it returns NaN.
 */
import ttest from '@stdlib/stats-ttest';
import { mean, sampleVariance } from './stats.js';

/**
 * The two-sided p of `values` against the reference `mu`: 1 for a constant sample at mu, 0 for a constant
 * sample elsewhere (the difference is certain), `null` with fewer than two values.
 * @example
 * oneSampleTP([79, 80, 81], 100); // 0.000832… (t = −34.6, ν = 2)
 */
export function oneSampleTP(values: readonly number[], mu: number): number | null {
  const variance = sampleVariance(values);
  if (variance === null) return null;
  if (variance === 0) return mean(values) === mu ? 1 : 0;
  return ttest([...values], { mu, alternative: 'two-sided' }).pValue;
}
