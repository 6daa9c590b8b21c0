import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../lib/core/duration.js';

describe('Function: parseDuration', () => {
  it.each([
    [45, 45],
    [0, 0],
    [1.5, 1.5],
    ['30', 30],
    ['500ms', 0.5],
    ['30s', 30],
    ['10m', 600],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2d', 172_800],
    ['1.5h', 5400],
    ['1d 2h 3m 4s 5ms', 93_784.005],
    ['  10m ', 600],
    ['1h 2m 3s', 3723],
  ])('reads %j as %d seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each([
    ['10x', /invalid duration "10x": expected a number of seconds or a duration like/],
    ['', /invalid duration "": expected/],
    ['m', /expected/],
    ['1.h', /expected/],
    ['-5s', /expected/],
    ['10s5m', /largest to smallest/],
    ['1m1m', /largest to smallest/],
    [-1, /invalid duration -1: must be a finite number >= 0/],
    [Number.NaN, /must be a finite number/],
    [Number.POSITIVE_INFINITY, /must be a finite number/],
  ])('rejects %j', (value, message) => {
    expect(() => parseDuration(value)).toThrow(message);
  });

  it('names where the bad value is', () => {
    expect(() => parseDuration('soon', 'timeouts.task')).toThrow(/^timeouts\.task: invalid duration "soon"/);
  });
});

describe('Function: formatDuration', () => {
  it.each([
    [0, '0s'],
    [0.85, '850ms'],
    [0.0004, '0ms'],
    [1, '1s'],
    [1.25, '1.3s'],
    [45, '45s'],
    [59.96, '1m'],
    [60, '1m'],
    [3723, '1h 2m 3s'],
    [3600, '1h'],
    [90_061, '1d 1h 1m 1s'],
    [-45, '-45s'],
  ])('formats %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('produces text that parses back to about the same duration', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (seconds) => {
        const back = parseDuration(formatDuration(seconds));
        const tolerance = seconds < 1 ? 0.0005 : seconds < 60 ? 0.05 : 0.5;
        expect(Math.abs(back - seconds)).toBeLessThanOrEqual(tolerance + 1e-9);
      }),
    );
  });
});
