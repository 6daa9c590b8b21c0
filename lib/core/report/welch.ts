/**
 * Welch's unequal-variances t-test, the test `compare` runs per metric. Welch rather than Student's pooled test because two runs seldom have the same spread
 * (another day, another instance, another kernel), and Welch stays valid when the variances differ while
 * losing almost nothing when they don't.
 *
 *   t  = (x̄₁ − x̄₂) / √(s₁²/n₁ + s₂²/n₂)
 *   ν  = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1))     (Welch–Satterthwaite)
 *   p  = P(|T_ν| ≥ |t|)                                                     (two-sided)
 *
 * The test and the Student t distribution behind p are stdlib's (`@stdlib/stats-ttest2`, whose t CDF goes
 * through Boost's incomplete beta function and keeps tiny tail probabilities to full precision). What stays
 * here is what the library leaves undefined: a sample of one value (no variance) and two constant samples
 * (no spread), where it returns NaN.
 */
import ttest2 from '@stdlib/stats-ttest2';
import { mean, sampleVariance } from './stats.js';

export type WelchResult = {
  /** (mean₁ − mean₂) / standard error; ±Infinity when both samples are constant and differ. */
  readonly t: number;
  /** Welch–Satterthwaite degrees of freedom (n₁ + n₂ − 2 when both samples are constant). */
  readonly df: number;
  /** Two-sided p-value. */
  readonly p: number;
};

/**
 * Welch's t-test of sample1 against sample2 (scipy's `ttest_ind(sample1, sample2, equal_var=False)`).
 * Two constant samples have no spread to test against: equal means give t = 0, p = 1; different
 * means give t = ±Infinity, p = 0 (the difference is certain, however small).
 * @returns `null` when either sample has fewer than two values: there is no variance to test with.
 * @example
 * welchTTest([19.8, 20.4, 19.6, 17.8, 18.5], [28.2, 26.6, 20.1, 23.3, 25.2]);
 * // { t: -3.696…, df: 4.888…, p: 0.0146… }
 */
export function welchTTest(sample1: readonly number[], sample2: readonly number[]): WelchResult | null {
  const v1 = sampleVariance(sample1);
  const v2 = sampleVariance(sample2);
  if (v1 === null || v2 === null) return null;
  if (v1 / sample1.length + v2 / sample2.length === 0) {
    const diff = mean(sample1) - mean(sample2);
    const df = sample1.length + sample2.length - 2;
    if (diff === 0) return { t: 0, df, p: 1 };
    return { t: diff > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY, df, p: 0 };
  }
  const result = ttest2([...sample1], [...sample2], { variance: 'unequal', alternative: 'two-sided' });
  return { t: result.statistic, df: result.df, p: result.pValue };
}
