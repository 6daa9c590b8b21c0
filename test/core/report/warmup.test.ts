import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../../lib/core/report/compare.js';
import { buildRunReport } from '../../../lib/core/report/run-report.js';
import { collectSeries, type ReportTask } from '../../../lib/core/report/samples.js';
import { input, tasksOf } from './fixtures.js';

/** Repetition 1 of each host is a warm-up, with a value far from the measured ones. */
function withWarmups(measured: Record<string, readonly number[]>): ReportTask[] {
  const warm = tasksOf(
    'cpu',
    'ops',
    'ops/s',
    Object.fromEntries(Object.keys(measured).map((h) => [h, [1e6]])),
  );
  const rest = tasksOf('cpu', 'ops', 'ops/s', measured).map((t) => ({ ...t, rep: t.rep + 1 }));
  return [...warm.map((t) => ({ ...t, warmup: true })), ...rest];
}

describe('Warm-up repetitions in the statistics', () => {
  it('are left out of every series', () => {
    // Act
    const series = collectSeries(input(withWarmups({ 'host-1': [10, 12], 'host-2': [11, 13] })));

    // Assess
    expect(series).toHaveLength(1);
    expect(series[0]?.samples).toStrictEqual([
      { host: 'host-1', rep: 2, value: 10 },
      { host: 'host-1', rep: 3, value: 12 },
      { host: 'host-2', rep: 2, value: 11 },
      { host: 'host-2', rep: 3, value: 13 },
    ]);
  });

  it('change no number of the report', () => {
    // Prepare
    const measured = { 'host-1': [10, 12], 'host-2': [11, 13] };
    const plain = tasksOf('cpu', 'ops', 'ops/s', measured).map((t) => ({ ...t, rep: t.rep + 1 }));

    // Act
    const report = buildRunReport(input(withWarmups(measured)));

    // Assess
    expect(report.metrics).toStrictEqual(buildRunReport(input(plain)).metrics);
    expect(report.metrics[0]?.fleet).toMatchObject({ n: 4, mean: 11.5, max: 13 });
  });

  it('are not samples of compare', () => {
    // Prepare
    const baseline = input(withWarmups({ 'host-1': [10, 10.2], 'host-2': [10.1, 9.9] }));
    const candidate = input(withWarmups({ 'host-1': [10.1, 10], 'host-2': [9.9, 10.2] }));

    // Act
    const [row] = compareRuns(baseline, candidate, { alpha: 0.05 }).rows;

    // Assess
    expect(row).toMatchObject({
      baseline: { n: 4, mean: expect.closeTo(10.05, 9) },
      candidate: { n: 4 },
      verdict: 'no significant change',
    });
  });
});
