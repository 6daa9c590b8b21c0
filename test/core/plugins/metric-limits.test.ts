import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import { checkMetricLimits, METRIC_LIMITS } from '../../../lib/core/plugins/metric-limits.js';

const metric = (name: string, value = 1, unit = '') => ({ name, value, unit });

describe('checkMetricLimits', () => {
  it('accepts metrics at every limit', () => {
    const metrics = [
      ...Array.from({ length: METRIC_LIMITS.count - 3 }, (_, i) => metric(`m${i}`)),
      metric('n'.repeat(METRIC_LIMITS.nameBytes), -1e125, 'u'.repeat(METRIC_LIMITS.unitBytes)),
      metric('tiny', 1e-125),
      metric('zero', 0),
    ];

    expect(checkMetricLimits('shell', metrics)).toEqual(metrics);
  });

  it.each([
    [
      'too many metrics',
      Array.from({ length: 101 }, (_, i) => metric(`m${i}`)),
      'shell: 101 metrics reported, at most 100 per task',
    ],
    ['an empty name', [metric('')], 'shell: a metric has an empty name'],
    [
      'a name over 64 bytes (counted in UTF-8)',
      [metric('é'.repeat(33))],
      `shell: metric name "${'é'.repeat(33)}" is longer than 64 bytes`,
    ],
    [
      'a unit over 32 bytes',
      [metric('x', 1, 'u'.repeat(33))],
      'shell: metric "x" has a unit longer than 32 bytes',
    ],
    [
      'a value too large to store',
      [metric('x', 1e126)],
      'shell: metric "x" is 1e+126, outside ±[1e-125, 1e+125]',
    ],
    [
      'a value too small to store',
      [metric('x', -1e-126)],
      'shell: metric "x" is -1e-126, outside ±[1e-125, 1e+125]',
    ],
    ['a value that is not finite', [metric('x', Number.NaN)], 'shell: metric "x" is not a finite number'],
  ])('rejects %s with one line naming it', (_what, metrics, message) => {
    const check = () => checkMetricLimits('shell', metrics);

    expect(check).toThrow(PluginOutputError);
    expect(check).toThrow(message);
  });
});
