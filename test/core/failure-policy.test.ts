import { describe, expect, it } from 'vitest';
import { runVerdict, stepOutcome } from '../../lib/core/failure-policy.js';
import type { Phase } from '../../lib/core/run.js';
import { emptyCounts } from '../../lib/core/task-state.js';

const lenient = { failFast: false, maxFailedPercent: 100 };
const half = { failFast: false, maxFailedPercent: 50 };
const strict = { failFast: true, maxFailedPercent: 100 };

describe('Function: stepOutcome', () => {
  it.each([
    // phase, total, failed, policy, expected
    ['repetition', 4, 0, half, { ok: true, failFast: false }],
    ['repetition', 4, 2, half, { ok: true, failFast: false }],
    [
      'repetition',
      4,
      3,
      half,
      { ok: false, failFast: false, reason: '3 of 4 hosts failed (75%) > maxFailedPercent 50' },
    ],
    [
      'repetition',
      3,
      1,
      { failFast: false, maxFailedPercent: 0 },
      { ok: false, failFast: false, reason: '1 of 3 hosts failed (33.3%) > maxFailedPercent 0' },
    ],
    ['repetition', 4, 4, lenient, { ok: true, failFast: false }],
    [
      'repetition',
      4,
      1,
      strict,
      { ok: false, failFast: true, reason: '1 of 4 hosts failed and failFast is set' },
    ],
    ['repetition', 4, 0, strict, { ok: true, failFast: false }],
    ['repetition', 0, 0, lenient, { ok: false, failFast: false, reason: 'no hosts left to run on' }],
    ['setup', 4, 3, half, { ok: true, failFast: false }],
    ['setup', 4, 3, strict, { ok: true, failFast: false }],
    ['setup', 4, 4, lenient, { ok: false, failFast: false, reason: 'all 4 hosts failed setup' }],
    ['setup', 0, 0, lenient, { ok: false, failFast: false, reason: 'no hosts left to run on' }],
    ['globalSetup', 2, 1, strict, { ok: true, failFast: false }],
    ['globalSetup', 2, 2, lenient, { ok: false, failFast: false, reason: 'all 2 hosts failed global setup' }],
    ['teardown', 4, 4, strict, { ok: true, failFast: false }],
    ['teardown', 0, 0, lenient, { ok: true, failFast: false }],
    ['globalTeardown', 4, 4, half, { ok: true, failFast: false }],
  ] as const)('decides a %s step with %i hosts, %i failed, under %j', (phase, hostsTotal, hostsFailed, policy, expected) => {
    expect(stepOutcome({ phase: phase as Phase, hostsTotal, hostsFailed, policy })).toStrictEqual(expected);
  });

  it.each([
    [4, 5],
    [4, -1],
    [4.5, 1],
    [Number.NaN, 0],
  ])('rejects %d hosts with %d failed', (hostsTotal, hostsFailed) => {
    expect(() => stepOutcome({ phase: 'repetition', hostsTotal, hostsFailed, policy: lenient })).toThrow(
      RangeError,
    );
  });
});

describe('Function: runVerdict', () => {
  it.each([
    [{}, false],
    [{ completed: 5 }, false],
    [{ completed: 5, skipped: 2 }, false],
    [{ completed: 5, failed: 1 }, true],
    [{ cancelled: 1 }, true],
    [{ failed: 2, cancelled: 3 }, true],
  ])('says %j has failures: %s', (counts, hasFailures) => {
    expect(runVerdict({ ...emptyCounts(), ...counts })).toStrictEqual({ hasFailures });
  });
});
