import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/core/errors.js';
import { flagOutliers, outlierRule } from '../../../lib/core/report/outliers.js';
import { buildRunReport } from '../../../lib/core/report/run-report.js';
import { input, tasksOf } from './fixtures.js';

const hostsOf = (...values: number[][]) => values.map((v, i) => ({ host: `h${i}`, values: v }));
const steady = (mean: number) => [mean - 0.5, mean, mean + 0.5];

describe('Function: flagOutliers', () => {
  it.each([
    ['a slow host', [100, 102, 80], 10, [0, 2, -20], [false, false, true]],
    ['a fast host', [100, 99, 130], 10, [0, -1, 30], [false, false, true]],
    ['exactly at the threshold (not beyond it)', [100, 110, 90], 10, [0, 10, -10], [false, false, false]],
    ['a tighter threshold', [100, 104, 97], 3, [0, 4, -3], [false, true, false]],
    [
      'an even number of hosts (median between the middle two)',
      [90, 100, 110, 200],
      10,
      [(-100 * 15) / 105, (-100 * 5) / 105, (100 * 5) / 105, (100 * 95) / 105],
      [true, false, false, true],
    ],
    ['negative values', [-100, -100, -120], 10, [0, 0, -20], [false, false, true]],
  ])('with 3 steady repetitions a host, flags %s', (_, means, threshold, deviations, outliers) => {
    // Prepare: every host’s repetitions are its mean ± 0.5, so any difference of a few % is significant.
    const hosts = hostsOf(...means.map(steady));

    // Act
    const result = flagOutliers(hosts, outlierRule({ deviationPercent: threshold }));

    // Assess
    result.hosts.forEach((h, i) => {
      expect(h.deviationPercent).toBeCloseTo(deviations[i] ?? Number.NaN, 10);
    });
    expect(result.hosts.map((h) => h.outlier)).toEqual(outliers);
    expect(result.skip).toBeNull();
  });

  it('does not flag a host far from the median whose own noise hides the difference', () => {
    // 14 % above the median, but its repetitions range from 70 to 160.
    const result = flagOutliers(hostsOf(steady(100), steady(101), [70, 115, 160]));

    expect(result.hosts[2]?.deviationPercent).toBeCloseTo(1400 / 101, 10);
    expect(result.hosts[2]?.p).toBeGreaterThan(0.05);
    expect(result.hosts.map((h) => h.outlier)).toEqual([false, false, false]);
  });

  it('does not flag a significant difference smaller than the threshold', () => {
    // 4 % below the median, with repetitions within ±0.1.
    const result = flagOutliers(hostsOf(steady(100), steady(101), [95.9, 96, 96.1]));

    expect(result.hosts[2]?.p).toBeLessThan(0.001);
    expect(result.hosts[2]?.outlier).toBe(false);
  });

  it('divides alpha among the hosts tested (Bonferroni), so a fleet does not flag hosts by chance', () => {
    // Median of the host means 100; scipy: ttest_1samp([74, 80, 86], 100).pvalue = 0.028714…
    const hosts = hostsOf([100, 102, 98], [101, 99, 103], [74, 80, 86]);

    const strict = flagOutliers(hosts, outlierRule({ alpha: 0.05 }));
    const lenient = flagOutliers(hosts, outlierRule({ alpha: 0.1 }));

    expect(strict.hosts[2]?.p).toBeCloseTo(0.028714137642735813, 10);
    expect(strict.hosts[2]?.outlier).toBe(false); // 0.029 ≥ 0.05 / 3
    expect(lenient.hosts[2]?.outlier).toBe(true); // 0.029 < 0.1 / 3
  });

  it('flags nobody with fewer than 3 repetitions a host, and says why', () => {
    const result = flagOutliers(hostsOf([100, 101], [100, 99], [60, 61]));

    expect(result.skip).toBe('few-repetitions');
    expect(result.hosts.map((h) => [h.p, h.outlier])).toEqual([
      [null, false],
      [null, false],
      [null, false],
    ]);
    expect(result.hosts[2]?.deviationPercent).toBeCloseTo((100 * (60.5 - 99.5)) / 99.5, 10);
  });

  it('tests only the hosts with 3 repetitions when some have fewer', () => {
    const result = flagOutliers(hostsOf(steady(100), steady(101), [60, 61]));

    expect(result.skip).toBeNull();
    expect(result.hosts.map((h) => h.outlier)).toEqual([false, false, false]);
    expect(result.hosts[2]?.p).toBeNull();
  });

  it.each([
    ['one host', [steady(55)]],
    ['two hosts (neither is the odd one)', [steady(100), steady(150)]],
  ])('flags nobody with %s, and says why', (_, values) => {
    const result = flagOutliers(hostsOf(...values));

    expect(result.skip).toBe('few-hosts');
    expect(result.hosts.every((h) => !h.outlier)).toBe(true);
  });

  it('has no relative deviation against a median of 0 and flags nobody', () => {
    const result = flagOutliers(hostsOf([0, 0, 0], [0, 0, 0], [5, 5, 6]));

    expect(result.skip).toBe('zero-median');
    expect(result.hosts.map((h) => [h.deviationPercent, h.outlier])).toEqual([
      [null, false],
      [null, false],
      [null, false],
    ]);
  });
});

describe('Function: outlierRule', () => {
  it('holds the threshold, the significance level and the fixed minimums', () => {
    expect(outlierRule({ deviationPercent: 5 })).toEqual({
      deviationPercent: 5,
      alpha: 0.05,
      minRepetitions: 3,
      minHosts: 3,
    });
  });

  it.each([
    [{ deviationPercent: -1 }],
    [{ deviationPercent: Number.NaN }],
    [{ deviationPercent: Number.POSITIVE_INFINITY }],
    [{ alpha: 0 }],
    [{ alpha: 1.5 }],
  ])('rejects %j as bad input', (options) => {
    expect(() => outlierRule(options)).toThrow(UsageError);
  });
});

describe('Function: buildRunReport', () => {
  const tasks = [
    ...tasksOf('cpu', 'bogo_ops', 'ops', { 'host-1': [100, 110], 'host-2': [104, 106], 'host-3': [70, 74] }),
    ...tasksOf('disk', 'read_clat_p99_us', 'us', {
      'host-1': [50, 60],
      'host-2': [52, 58],
      'host-3': [51, 57],
    }),
  ];

  it('summarises every host’s repetitions and the whole fleet per workload and metric', () => {
    const report = buildRunReport(input(tasks));

    const cpu = report.metrics[0];
    expect(cpu).toMatchObject({ workload: 'cpu', metric: 'bogo_ops', unit: 'ops', direction: 'higher' });
    expect(cpu?.hosts.map((h) => [h.host, h.n, h.mean, h.min, h.max])).toEqual([
      ['host-1', 2, 105, 100, 110],
      ['host-2', 2, 105, 104, 106],
      ['host-3', 2, 72, 70, 74],
    ]);
    expect(cpu?.hosts[0]?.stdev).toBeCloseTo(Math.sqrt(50), 12);
    expect(cpu?.hosts[0]?.cvPercent).toBeCloseTo((100 * Math.sqrt(50)) / 105, 12);
    expect(cpu?.hosts[0]?.values).toEqual([
      { rep: 1, value: 100 },
      { rep: 2, value: 110 },
    ]);
    expect(cpu?.fleet).toMatchObject({ n: 6, hosts: 3, min: 70, max: 110, medianOfHostMeans: 105 });
    expect(cpu?.fleet.mean).toBeCloseTo(94, 12);
  });

  const threeReps = [
    ...tasksOf('cpu', 'bogo_ops', 'ops', {
      'host-1': [100, 110, 105],
      'host-2': [104, 106, 105],
      'host-3': [70, 74, 72],
    }),
    ...tasksOf('disk', 'read_clat_p99_us', 'us', {
      'host-1': [50, 60, 55],
      'host-2': [52, 58, 55],
      'host-3': [51, 57, 54],
    }),
  ];

  it('flags the host whose mean is more than 10% off the fleet median and significantly different, and only it', () => {
    const report = buildRunReport(input(threeReps));

    expect(report.outliers).toEqual([
      {
        workload: 'cpu',
        metric: 'bogo_ops',
        unit: 'ops',
        host: 'host-3',
        mean: 72,
        fleetMedian: 105,
        deviationPercent: expect.closeTo((100 * (72 - 105)) / 105, 10),
        p: expect.any(Number),
      },
    ]);
    expect(report.outliers[0]?.p).toBeLessThan(0.01);
    expect(report.metrics[1]?.hosts.some((h) => h.outlier)).toBe(false);
    expect(report.metrics.map((m) => m.outlierSkip)).toEqual([null, null]);
  });

  it('flags nobody with 2 repetitions a host, and records why in every metric', () => {
    const report = buildRunReport(input(tasks));

    expect(report.outliers).toEqual([]);
    expect(report.metrics.map((m) => m.outlierSkip)).toEqual(['few-repetitions', 'few-repetitions']);
    expect(report.metrics[0]?.hosts[2]?.deviationPercent).toBeCloseTo((100 * (72 - 105)) / 105, 10);
  });

  it('uses the --deviation threshold and the significance level it is given', () => {
    const report = buildRunReport(input(threeReps), { deviationPercent: 40, alpha: 0.01 });

    expect(report.outliers).toEqual([]);
    expect(report.deviationPercent).toBe(40);
    expect(report.outlierRule).toEqual({ deviationPercent: 40, alpha: 0.01, minRepetitions: 3, minHosts: 3 });
  });

  it('ignores every task that did not complete', () => {
    const report = buildRunReport(
      input([
        ...tasksOf('cpu', 'bogo_ops', 'ops', { 'host-1': [100, 100] }),
        ...tasksOf('cpu', 'bogo_ops', 'ops', { 'host-2': [1, 1] }, 'FAILED'),
        ...tasksOf('cpu', 'bogo_ops', 'ops', { 'host-3': [1] }, 'CANCELLED'),
      ]),
    );

    expect(report.metrics[0]?.hosts.map((h) => h.host)).toEqual(['host-1']);
    expect(report.metrics[0]?.fleet.n).toBe(2);
  });

  it('keeps a metric reported in two units as two series', () => {
    const report = buildRunReport(
      input([
        ...tasksOf('cpu', 'elapsed', 'ms', { 'host-1': [1500] }),
        ...tasksOf('cpu', 'elapsed', 's', { 'host-2': [1.5] }),
      ]),
    );

    expect(report.metrics.map((m) => [m.metric, m.unit, m.fleet.mean])).toEqual([
      ['elapsed', 'ms', 1500],
      ['elapsed', 's', 1.5],
    ]);
  });

  it('orders workloads as the plan lists them, metrics by name, hosts as the run lists them', () => {
    const report = buildRunReport(
      input(
        [
          ...tasksOf('zeta', 'b', '', { 'host-2': [1] }),
          ...tasksOf('alpha', 'z', '', { 'host-1': [1] }),
          ...tasksOf('zeta', 'a', '', { 'host-10': [1], 'host-2': [1], 'host-1': [1] }),
        ],
        { workloads: ['zeta', 'alpha'], hosts: ['host-1', 'host-2', 'host-10'] },
      ),
    );

    expect(report.metrics.map((m) => `${m.workload}/${m.metric}`)).toEqual(['zeta/a', 'zeta/b', 'alpha/z']);
    expect(report.metrics[0]?.hosts.map((h) => h.host)).toEqual(['host-1', 'host-2', 'host-10']);
  });

  it('reports a run without completed tasks as having no metrics', () => {
    const report = buildRunReport(input(tasksOf('cpu', 'x', '', { 'host-1': [1] }, 'FAILED')));

    expect(report).toMatchObject({ metrics: [], outliers: [] });
  });
});
