import { describe, expect, it } from 'vitest';
import { mean, median, sampleStdev, sampleVariance, summarize } from '../../../lib/core/report/stats.js';

describe('Descriptive statistics', () => {
  it.each([
    [[5], 5],
    [[1, 2, 3, 4], 2.5],
    [[-2, 2], 0],
    [[0.1, 0.2, 0.3], 0.2],
  ])('the mean of %j is %s', (values, expected) => {
    expect(mean(values)).toBeCloseTo(expected, 15);
  });

  it.each([
    [[2, 4, 4, 4, 5, 5, 7, 9], 32 / 7],
    [[1, 2], 0.5],
    [[10, 10, 10], 0],
    [[1e9 + 1, 1e9 + 2, 1e9 + 3], 1],
  ])('the sample variance of %j is %s (n − 1 in the denominator)', (values, expected) => {
    expect(sampleVariance(values)).toBeCloseTo(expected, 9);
  });

  it('has no variance or standard deviation for fewer than two values', () => {
    expect(sampleVariance([3])).toBeNull();
    expect(sampleStdev([])).toBeNull();
  });

  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[7], 7],
    [[-5, 10, 0, 100], 5],
  ])('the median of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it.each([
    ['one value', [42], { n: 1, mean: 42, stdev: null, min: 42, max: 42, cvPercent: null }],
    [
      'two values',
      [10, 12],
      { n: 2, mean: 11, stdev: Math.SQRT2, min: 10, max: 12, cvPercent: (100 * Math.SQRT2) / 11 },
    ],
    [
      'eight values',
      [2, 4, 4, 4, 5, 5, 7, 9],
      { n: 8, mean: 5, stdev: Math.sqrt(32 / 7), min: 2, max: 9, cvPercent: (100 * Math.sqrt(32 / 7)) / 5 },
    ],
    ['a zero mean', [-1, 1], { n: 2, mean: 0, stdev: Math.SQRT2, min: -1, max: 1, cvPercent: null }],
    [
      'a negative mean',
      [-10, -12],
      { n: 2, mean: -11, stdev: Math.SQRT2, min: -12, max: -10, cvPercent: (100 * Math.SQRT2) / 11 },
    ],
  ])('summarises %s', (_, values, expected) => {
    const s = summarize(values);
    expect(s.n).toBe(expected.n);
    expect(s.mean).toBeCloseTo(expected.mean, 12);
    expect(s.min).toBe(expected.min);
    expect(s.max).toBe(expected.max);
    if (expected.stdev === null) expect(s.stdev).toBeNull();
    else expect(s.stdev).toBeCloseTo(expected.stdev, 12);
    if (expected.cvPercent === null) expect(s.cvPercent).toBeNull();
    else expect(s.cvPercent).toBeCloseTo(expected.cvPercent, 10);
  });

  it('refuses to summarise nothing', () => {
    expect(() => summarize([])).toThrow(RangeError);
  });
});
