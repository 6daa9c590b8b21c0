import { describe, expect, it } from 'vitest';
import { axisLabels, formatShort, formatValue, summaryCells } from '../../lib/cli/report/numbers.js';

describe('Function: formatValue', () => {
  it.each([
    [16_780_000, 'B', '16.78 MB'],
    [4_013_000, 'ops/s', '4.013 M ops/s'],
    [1234.5678, '', '1.235 k'],
    [512.3, 'MiB/s', '512 MiB/s'],
    [2500, 'MiB/s', '2500 MiB/s'],
    [1500, 'ms', '1500 ms'],
    [0.0042, 's', '4.2 ms'],
    [0.0042, 'ops', '0.0042 ops'],
    [999_960, 'B', '1 MB'],
    [-5_000_000, 'ops', '-5 M ops'],
    [108, 'ops', '108 ops'],
    [0, 'count', '0 count'],
    [Number.POSITIVE_INFINITY, 'ms', '∞ ms'],
    [null, 'ms', '-'],
    [Number.NaN, '', '-'],
  ])('writes %s %s as %s', (value, unit, expected) => {
    expect(formatValue(value, unit)).toBe(expected);
  });
});

describe('Function: formatShort', () => {
  it.each([
    [16_780_000, 'B', '16.8 MB'],
    [4_000_000, 'ops/s', '4.0 M ops/s'],
    [123_456, '', '123 k'],
    [999_960, 'B', '1.0 MB'],
    [0.000002, 's', '2.0 µs'],
    [42.123, 'ms', '42.1 ms'],
  ])('writes %s %s as %s', (value, unit, expected) => {
    expect(formatShort(value, unit)).toBe(expected);
  });
});

describe('Function: axisLabels', () => {
  it.each([
    [[0, 5_000_000, 10_000_000, 15_000_000], '', ['0', '5 M', '10 M', '15 M']],
    [[0, 500_000, 1_000_000], 'B', ['0', '0.5 M', '1.0 M']],
    [[0, 2000, 4000, 6000], 'ops', ['0', '2000', '4000', '6000']],
    [[0, 20_000, 40_000], 'ms', ['0', '20000', '40000']],
    [[0.2, 0.4, 0.6], 's', ['0.2', '0.4', '0.6']],
    [[-20, -10, 0, 10], '', ['-20', '-10', '0', '10']],
  ])('labels the ticks %j (%s) %j', (ticks, unit, expected) => {
    expect(axisLabels(ticks, unit)).toEqual(expected);
  });
});

describe('Function: summaryCells', () => {
  it('writes the summary with the unit beside each value and the CV as a percentage', () => {
    expect(
      summaryCells(
        { n: 3, mean: 16_800_000, stdev: 100_000, min: 16_700_000, max: 16_900_000, cvPercent: 0.595 },
        'B',
      ),
    ).toEqual(['3', '16.8 MB', '100 kB', '16.7 MB', '16.9 MB', '0.6%']);
  });
});
