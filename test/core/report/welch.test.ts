import { describe, expect, it } from 'vitest';
import { welchTTest } from '../../../lib/core/report/welch.js';

// The three worked examples of Wikipedia's "Welch's t-test" article; expected values printed by
// scipy 1.17.1: scipy.stats.ttest_ind(a, b, equal_var=False) and the Welch–Satterthwaite df.
const A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
const A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
const B1 = [17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2, 14.7, 21.8];
const B2 = [
  21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5, 23.6, 21.5, 22.5, 23.5,
  21.5, 21.8,
];
const C1 = [19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9, 19.5, 22.0];
const C2 = [
  28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6, 20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9, 21.6, 24.3, 20.4,
  23.9, 13.3,
];

describe('Function: welchTTest', () => {
  it.each([
    ['equal sizes, similar variances', A1, A2, -2.455356398286006, 24.988529290231416, 0.021378001462866992],
    [
      'unequal sizes, larger variance in the small sample',
      B1,
      B2,
      -1.5654335235985037,
      9.904741248650831,
      0.14884169660532817,
    ],
    [
      'unequal sizes, larger variance in the large sample',
      C1,
      C2,
      -2.225512039969852,
      24.524634944257343,
      0.035484530830010394,
    ],
  ])('reproduces the textbook example with %s', (_, a, b, t, df, p) => {
    const result = welchTTest(a, b);

    expect(result?.t).toBeCloseTo(t, 10);
    expect(result?.df).toBeCloseTo(df, 10);
    expect(result?.p).toBeCloseTo(p, 10);
  });

  it('keeps a tiny p-value to its own precision (the t distribution far in its tail)', () => {
    // scipy 1.17.1: ttest_ind(a, b, equal_var=False) → t = -96.557…, df = 8.989…, p = 7.179077409325045e-15
    const result = welchTTest([100.1, 100.3, 99.9, 100.2, 100.0], [110.2, 110.0, 110.4, 109.9, 110.1, 110.3]);

    expect(result?.t).toBeCloseTo(-96.55727674446815, 9);
    expect(result?.df).toBeCloseTo(8.989361702127667, 9);
    expect((result?.p ?? 0) / 7.179077409325045e-15).toBeCloseTo(1, 6);
  });

  it('flips the sign of t, not the p-value, when the samples swap', () => {
    const forward = welchTTest(A1, A2);
    const backward = welchTTest(A2, A1);

    expect(backward?.t).toBeCloseTo(-(forward?.t ?? 0), 12);
    expect(backward?.p).toBeCloseTo(forward?.p ?? 0, 12);
  });

  it('finds no difference between identical samples', () => {
    expect(welchTTest([1, 2, 3], [1, 2, 3])).toEqual({ t: 0, df: expect.any(Number), p: 1 });
  });

  it('treats two equal constant samples as no difference and two different ones as certain', () => {
    expect(welchTTest([5, 5, 5], [5, 5])).toEqual({ t: 0, df: 3, p: 1 });
    expect(welchTTest([6, 6], [5, 5])).toEqual({ t: Number.POSITIVE_INFINITY, df: 2, p: 0 });
    expect(welchTTest([4, 4], [5, 5])).toEqual({ t: Number.NEGATIVE_INFINITY, df: 2, p: 0 });
  });

  it('cannot test a sample of one value', () => {
    expect(welchTTest([1], [1, 2, 3])).toBeNull();
    expect(welchTTest([1, 2], [])).toBeNull();
  });
});
