import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/core/errors.js';
import { flagOutliers } from '../../../lib/core/report/outliers.js';
import { buildRunReport } from '../../../lib/core/report/run-report.js';
import { input, tasksOf } from './fixtures.js';

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
    ['a single host', [55], 10, [0], [false]],
    ['negative values', [-100, -100, -120], 10, [0, 0, -20], [false, false, true]],
  ])('flags %s', (_, means, threshold, deviations, outliers) => {
    const { hosts } = flagOutliers(
      means.map((mean, i) => ({ host: `h${i}`, mean })),
      threshold,
    );

    hosts.forEach((h, i) => {
      expect(h.deviationPercent).toBeCloseTo(deviations[i] ?? Number.NaN, 10);
    });
    expect(hosts.map((h) => h.outlier)).toEqual(outliers);
  });

  it('has no relative deviation against a median of 0 and flags nobody', () => {
    const { hosts } = flagOutliers([
      { host: 'a', mean: 0 },
      { host: 'b', mean: 0 },
      { host: 'c', mean: 5 },
    ]);

    expect(hosts.map((h) => [h.deviationPercent, h.outlier])).toEqual([
      [null, false],
      [null, false],
      [null, false],
    ]);
  });

  it.each([
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ])('rejects a threshold of %s as bad input', (threshold) => {
    expect(() => flagOutliers([{ host: 'a', mean: 1 }], threshold)).toThrow(UsageError);
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

  it('flags the host whose mean is more than 10% off the fleet median, and only it', () => {
    const report = buildRunReport(input(tasks));

    expect(report.outliers).toEqual([
      {
        workload: 'cpu',
        metric: 'bogo_ops',
        unit: 'ops',
        host: 'host-3',
        mean: 72,
        fleetMedian: 105,
        deviationPercent: expect.closeTo((100 * (72 - 105)) / 105, 10),
      },
    ]);
    expect(report.metrics[1]?.hosts.some((h) => h.outlier)).toBe(false);
  });

  it('uses the --deviation threshold it is given', () => {
    expect(buildRunReport(input(tasks), { deviationPercent: 40 }).outliers).toEqual([]);
    expect(buildRunReport(input(tasks), { deviationPercent: 40 }).deviationPercent).toBe(40);
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
