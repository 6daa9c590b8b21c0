import { describe, expect, it } from 'vitest';
import {
  logGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTTwoSidedP,
} from '../../../lib/core/report/student-t.js';

/** Closed forms of the t CDF for small integer degrees of freedom (any statistics textbook). */
const closedForm: Record<number, (t: number) => number> = {
  1: (t) => 0.5 + Math.atan(t) / Math.PI,
  2: (t) => 0.5 + t / (2 * Math.sqrt(2 + t * t)),
  3: (t) => 0.5 + (t / (Math.sqrt(3) * (1 + (t * t) / 3)) + Math.atan(t / Math.sqrt(3))) / Math.PI,
  4: (t) => 0.5 + ((3 * t) / (8 * Math.sqrt(1 + (t * t) / 4))) * (1 - (t * t) / (12 * (1 + (t * t) / 4))),
};

describe('Student t distribution', () => {
  describe('Function: logGamma', () => {
    it.each([
      [1, 0],
      [2, 0],
      [5, Math.log(24)],
      [0.5, Math.log(Math.sqrt(Math.PI))],
      [10.5, Math.log(1133278.3889487856)],
      [0.1, Math.log(9.513507698668732)],
    ])('ln Γ(%s) is %s', (x, expected) => {
      expect(logGamma(x)).toBeCloseTo(expected, 12);
    });
  });

  describe('Function: regularizedIncompleteBeta', () => {
    it.each([
      // I_x(a, 1) = x^a, I_x(1, b) = 1 − (1 − x)^b, I_½(a, a) = ½
      [0.3, 2, 1, 0.09],
      [0.7, 1, 3, 1 - 0.3 ** 3],
      [0.5, 7.5, 7.5, 0.5],
      // scipy.special.betainc(a, b, x), scipy 1.17.1
      [0.5, 2, 3, 0.6875],
      [0.1, 0.5, 0.5, 0.20483276469913345],
      [0.9, 5, 0.5, 0.3166429150200122],
      [0.3, 10, 20, 0.3640040810719437],
      [0.999, 50, 0.5, 0.7523690199653766],
    ])('I_%s(%s, %s) = %s', (x, a, b, expected) => {
      expect(regularizedIncompleteBeta(x, a, b)).toBeCloseTo(expected, 12);
    });

    it('is 0 at x = 0 and 1 at x = 1', () => {
      expect(regularizedIncompleteBeta(0, 3, 4)).toBe(0);
      expect(regularizedIncompleteBeta(1, 3, 4)).toBe(1);
    });

    it.each([
      [-0.1, 1, 1],
      [1.5, 1, 1],
      [0.5, 0, 1],
      [0.5, 1, -2],
    ])('rejects x=%s, a=%s, b=%s', (x, a, b) => {
      expect(() => regularizedIncompleteBeta(x, a, b)).toThrow(RangeError);
    });
  });

  describe('Function: studentTCdf', () => {
    it.each([1, 2, 3, 4])('matches the closed form for %d degree(s) of freedom', (df) => {
      for (const t of [-7, -2.5, -1, -0.3, 0, 0.4, 1, 2, 3.7, 12]) {
        expect(studentTCdf(t, df)).toBeCloseTo(closedForm[df]?.(t) ?? Number.NaN, 12);
      }
    });

    it.each([
      // Textbook critical values: P(T ≤ t_q,ν) = q.
      [6.313751514675043, 1, 0.95],
      [2.228138851986274, 10, 0.975],
      [2.0422724563012373, 30, 0.975],
      [4.032142983557536, 5, 0.995],
      // scipy.stats.t.cdf(t, df), scipy 1.17.1, including fractional Welch-style df.
      [0.5, 3.5, 0.6765747803387245],
      [-1.5, 7.25, 0.08792135806219986],
      [3, 25.3, 0.9970045525734492],
      [10, 4, 0.999718998188642],
      [1.96, 1000, 0.9748634075221256],
      [0.1, 200000, 0.5398277871618014],
    ])('P(T ≤ %s | ν = %s) = %s', (t, df, expected) => {
      expect(studentTCdf(t, df)).toBeCloseTo(expected, 10);
    });

    it('keeps tiny tail probabilities to their own precision', () => {
      // scipy.stats.t.cdf(-8, 30) = 3.1329112378503795e-09
      expect(studentTCdf(-8, 30) / 3.1329112378503795e-9).toBeCloseTo(1, 9);
    });

    it('is 0 and 1 at the infinities and rejects degrees of freedom ≤ 0', () => {
      expect(studentTCdf(Number.NEGATIVE_INFINITY, 3)).toBe(0);
      expect(studentTCdf(Number.POSITIVE_INFINITY, 3)).toBe(1);
      expect(() => studentTCdf(1, 0)).toThrow(RangeError);
      expect(() => studentTCdf(1, Number.NaN)).toThrow(RangeError);
    });
  });

  describe('Function: studentTTwoSidedP', () => {
    it.each([
      // scipy: 2 * scipy.stats.t.sf(|t|, df)
      [2, 10, 0.07338803477074037],
      [-2, 10, 0.07338803477074037],
      [1, 1, 0.5],
      [1, 2, 0.4226497308103742],
      [2.228138851986274, 10, 0.05],
      [6.313751514675043, 1, 0.1],
      [0, 5, 1],
    ])('p(|T| ≥ |%s| | ν = %s) = %s', (t, df, expected) => {
      expect(studentTTwoSidedP(t, df)).toBeCloseTo(expected, 12);
    });

    it('is 0 for an infinite statistic', () => {
      expect(studentTTwoSidedP(Number.POSITIVE_INFINITY, 4)).toBe(0);
    });
  });
});
