/**
 * Descriptive statistics over a metric's repetitions: what `report` prints per host and for the fleet.
 * The standard deviation is the sample one (n − 1): repetitions are a sample of what the host would do,
 * not the whole population. Anything that needs two values (stdev, CV) is `null` with one, never a
 * made-up 0, so a table shows "-" rather than a variance nobody measured.
 */

/** n, mean, sample stdev, min, max and coefficient of variation (stdev / |mean|, in %) of some values. */
export type Summary = {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation; `null` when n < 2. */
  readonly stdev: number | null;
  readonly min: number;
  readonly max: number;
  /** 100 · stdev / |mean|; `null` when n < 2 or the mean is 0. */
  readonly cvPercent: number | null;
};

/**
 * The arithmetic mean; NaN for no values.
 * @example
 * mean([1, 2, 3, 4]); // 2.5
 */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * The sample variance, Σ(x − mean)² / (n − 1); `null` when n < 2.
 * @example
 * sampleVariance([2, 4, 4, 4, 5, 5, 7, 9]); // 4.571428571428571 (32 / 7)
 */
export function sampleVariance(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - m) ** 2;
  return squares / (values.length - 1);
}

/**
 * The sample standard deviation; `null` when n < 2.
 * @example
 * sampleStdev([2, 4, 4, 4, 5, 5, 7, 9]); // 2.138089935299395
 */
export function sampleStdev(values: readonly number[]): number | null {
  const variance = sampleVariance(values);
  return variance === null ? null : Math.sqrt(variance);
}

/**
 * The median (mean of the two middle values for an even count); NaN for no values.
 * @example
 * median([3, 1, 2]); // 2
 * median([4, 1, 3, 2]); // 2.5
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/**
 * Summarises at least one value.
 * @throws RangeError for an empty list: a summary of nothing has no meaning, and callers only summarise
 * metrics that some task reported.
 * @example
 * summarize([10, 12]); // { n: 2, mean: 11, stdev: 1.414…, min: 10, max: 12, cvPercent: 12.856… }
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize needs at least one value');
  const m = mean(values);
  const stdev = sampleStdev(values);
  return {
    n: values.length,
    mean: m,
    stdev,
    min: Math.min(...values),
    max: Math.max(...values),
    cvPercent: stdev === null || m === 0 ? null : (100 * stdev) / Math.abs(m),
  };
}
