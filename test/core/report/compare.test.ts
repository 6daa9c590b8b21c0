import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/core/errors.js';
import {
  compareRuns,
  evaluateGate,
  gateFailures,
  regressionPercent,
} from '../../../lib/core/report/compare.js';
import { input, tasksOf } from './fixtures.js';

const HOSTS = ['host-1', 'host-2', 'host-3'];

/** One value per host per repetition: base · (1 + rep/100) · (1 + hostIndex/200), i.e. realistic noise. */
function noisy(base: number, reps = 3): Record<string, number[]> {
  return Object.fromEntries(
    HOSTS.map((host, h) => [
      host,
      Array.from({ length: reps }, (_, r) => base * (1 + (r + 1) / 100) * (1 + h / 200)),
    ]),
  );
}

describe('Function: compareRuns', () => {
  it('finds no significant change between two runs with the same values', () => {
    const run = input([
      ...tasksOf('cpu', 'bogo_ops_per_s_real', 'ops/s', noisy(1000)),
      ...tasksOf('disk', 'read_clat_p99_us', 'us', noisy(80)),
    ]);

    const comparison = compareRuns(run, run);

    expect(comparison.rows.map((r) => [r.metric, r.verdict, r.changePercent, r.p])).toEqual([
      ['bogo_ops_per_s_real', 'no significant change', 0, 1],
      ['read_clat_p99_us', 'no significant change', 0, 1],
    ]);
  });

  it.each([
    ['throughput down', 'events_per_s', 'events/s', 1000, 800, 'regressed', -20],
    ['throughput up', 'events_per_s', 'events/s', 1000, 1300, 'improved', 30],
    ['latency up', 'latency_avg_ms', 'ms', 2, 3, 'regressed', 50],
    ['latency down', 'latency_avg_ms', 'ms', 2, 1.5, 'improved', -25],
    ['a unitless metric moved', 'widgets', '', 10, 20, 'changed', 100],
    ['a change smaller than the noise', 'events_per_s', 'events/s', 1000, 1001, 'no significant change', 0.1],
  ])('calls %s "%s"', (_, metric, unit, before, after, verdict, change) => {
    const comparison = compareRuns(
      input(tasksOf('cpu', metric, unit, noisy(before))),
      input(tasksOf('cpu', metric, unit, noisy(after))),
    );

    const row = comparison.rows[0];
    expect(row?.verdict).toBe(verdict);
    expect(row?.changePercent).toBeCloseTo(change, 8);
    expect(row?.baseline?.n).toBe(9);
  });

  it('tests candidate minus baseline over every repetition of every host', () => {
    const comparison = compareRuns(
      input(tasksOf('cpu', 'ops', 'ops', { 'host-1': [10, 12], 'host-2': [11, 13] })),
      input(tasksOf('cpu', 'ops', 'ops', { 'host-1': [20, 22], 'host-2': [21, 24] })),
    );

    const row = comparison.rows[0];
    expect(row?.baseline).toEqual({ n: 4, mean: 11.5 });
    expect(row?.candidate).toEqual({ n: 4, mean: 21.75 });
    expect(row?.t).toBeGreaterThan(0);
    expect(row?.p).toBeLessThan(0.001);
  });

  it('lists metrics present in only one run as such, baseline’s first', () => {
    const comparison = compareRuns(
      input([...tasksOf('cpu', 'old_metric', 'ops', noisy(5)), ...tasksOf('cpu', 'shared', 'ops', noisy(5))]),
      input([...tasksOf('cpu', 'shared', 'ops', noisy(5)), ...tasksOf('cpu', 'new_metric', 'ops', noisy(5))]),
    );

    expect(
      comparison.rows.map((r) => [r.metric, r.verdict, r.baseline?.n ?? null, r.candidate?.n ?? null]),
    ).toEqual([
      ['old_metric', 'only in baseline', 9, null],
      ['shared', 'no significant change', 9, 9],
      ['new_metric', 'only in candidate', null, 9],
    ]);
  });

  it('says so when a side has a single value', () => {
    const comparison = compareRuns(
      input(tasksOf('cpu', 'ops', 'ops', { 'host-1': [1] })),
      input(tasksOf('cpu', 'ops', 'ops', { 'host-1': [2, 3] })),
    );

    expect(comparison.rows[0]).toMatchObject({ verdict: 'insufficient data', changePercent: 150, p: null });
  });

  it('uses the significance level it is given', () => {
    const base = input(tasksOf('cpu', 'ops', 'ops', { 'host-1': [10, 12, 11, 13] }));
    const cand = input(tasksOf('cpu', 'ops', 'ops', { 'host-1': [11, 13, 13, 14] }));
    const p = compareRuns(base, cand).rows[0]?.p ?? Number.NaN;

    expect(p).toBeGreaterThan(0.05);
    expect(p).toBeLessThan(0.5);
    expect(compareRuns(base, cand, { alpha: 0.5 }).rows[0]?.verdict).toBe('improved');
    expect(compareRuns(base, cand).rows[0]?.verdict).toBe('no significant change');
  });

  it.each([0, 1, -0.1, Number.NaN])('rejects alpha %s as bad input', (alpha) => {
    expect(() => compareRuns(input([]), input([]), { alpha })).toThrow(UsageError);
  });
});

describe('Function: gateFailures', () => {
  const comparison = compareRuns(
    input([
      ...tasksOf('cpu', 'events_per_s', 'events/s', noisy(1000)),
      ...tasksOf('cpu', 'latency_avg_ms', 'ms', noisy(2)),
      ...tasksOf('cpu', 'widgets', '', noisy(10)),
    ]),
    input([
      ...tasksOf('cpu', 'events_per_s', 'events/s', noisy(900)),
      ...tasksOf('cpu', 'latency_avg_ms', 'ms', noisy(1)),
      ...tasksOf('cpu', 'widgets', '', noisy(50)),
    ]),
  );

  it('fails on a significant regression beyond the threshold', () => {
    expect(gateFailures(comparison, 5).map((r) => r.metric)).toEqual(['events_per_s']);
  });

  it('passes a regression within the threshold, improvements and direction-unknown changes', () => {
    expect(gateFailures(comparison, 10)).toEqual([]);
    expect(gateFailures(comparison, 15)).toEqual([]);
  });

  it('rejects a negative threshold as bad input', () => {
    expect(() => gateFailures(comparison, -5)).toThrow(UsageError);
  });

  it.each([
    ['higher', -8, 8],
    ['higher', 8, -8],
    ['lower', 25, 25],
    ['lower', -25, 25 * -1],
    ['unknown', 25, null],
    ['higher', null, null],
  ] as const)('measures a %s-is-better change of %s%% as a regression of %s%%', (direction, changePercent, expected) => {
    expect(regressionPercent({ direction, changePercent })).toBe(expected);
  });
});

describe('Function: evaluateGate', () => {
  const baseline = input(tasksOf('api', 'latency_ms', 'ms', noisy(100)));

  it('passes with the number of metrics it compared when nothing regressed', () => {
    const gate = evaluateGate(compareRuns(baseline, baseline), 5);

    expect(gate).toEqual({ thresholdPercent: 5, passed: true, failures: [], tested: 1, problem: null });
  });

  it('fails on a significant regression beyond the threshold, naming it', () => {
    const slower = input(tasksOf('api', 'latency_ms', 'ms', noisy(130)));

    const gate = evaluateGate(compareRuns(baseline, slower), 5);

    expect(gate.passed).toBe(false);
    expect(gate.problem).toBeNull();
    expect(gate.failures.map((f) => f.metric)).toEqual(['latency_ms']);
  });

  it('fails when the runs share no metric: a renamed workload must not switch the gate off', () => {
    // Prepare: the same numbers under another workload name.
    const renamed = input(tasksOf('api-v2', 'latency_ms', 'ms', noisy(130)));

    // Act
    const gate = evaluateGate(compareRuns(baseline, renamed), 5);

    // Assess
    expect(gate).toEqual({
      thresholdPercent: 5,
      passed: false,
      failures: [],
      tested: 0,
      problem: 'no shared metric',
    });
  });

  it('fails when the shared metrics have too few values for the test', () => {
    const once = input(tasksOf('api', 'latency_ms', 'ms', { 'host-1': [130] }));

    const gate = evaluateGate(compareRuns(baseline, once), 5);

    expect(gate).toMatchObject({ passed: false, tested: 0, problem: 'no testable metric' });
  });

  it('judges the shared metrics and ignores the others when some are shared', () => {
    const both = input([
      ...tasksOf('api', 'latency_ms', 'ms', noisy(100)),
      ...tasksOf('api', 'cache_misses', 'count', noisy(7)),
    ]);

    const gate = evaluateGate(compareRuns(baseline, both), 5);

    expect(gate).toMatchObject({ passed: true, tested: 1, problem: null });
  });
});
