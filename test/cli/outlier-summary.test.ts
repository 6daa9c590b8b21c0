import { describe, expect, it } from 'vitest';
import { outlierSummary } from '../../lib/cli/report/outlier-summary.js';
import { buildRunReport } from '../../lib/core/report/run-report.js';
import { input, tasksOf } from '../core/report/fixtures.js';

const slowThird = { 'host-1': [100, 110, 105], 'host-2': [104, 106, 105], 'host-3': [70, 74, 72] };

describe('Function: outlierSummary', () => {
  it('names the rule when it flags a host', () => {
    const summary = outlierSummary(buildRunReport(input(tasksOf('cpu', 'bogo_ops', 'ops', slowThird))));

    expect(summary.headline).toBe(
      '1 outlier: a host mean more than 10% from the fleet median and significantly different from it (t-test of its repetitions, p < 0.05 divided by the hosts tested).',
    );
    expect(summary.notes).toEqual([]);
  });

  it('says why nothing was flagged when the hosts have fewer than 3 repetitions', () => {
    // Prepare: host-3 is 31 % slower, but with 2 repetitions a host the rule cannot tell.
    const report = buildRunReport(
      input(
        tasksOf('cpu', 'bogo_ops', 'ops', { 'host-1': [100, 110], 'host-2': [104, 106], 'host-3': [70, 74] }),
      ),
    );

    // Act
    const summary = outlierSummary(report);

    // Assess
    expect(summary.headline).toBe('No outliers flagged.');
    expect(summary.notes).toEqual([
      "1 metric not checked: no host has 3 repetitions (at most 2), too few to tell a host's difference from its own noise; run 3 or more repetitions.",
    ]);
  });

  it('says why nothing was flagged with two hosts, and which metrics were checked clean', () => {
    const report = buildRunReport(
      input([
        ...tasksOf('net', 'bandwidth', 'Mbit/s', { 'host-1': [900, 905, 910], 'host-2': [500, 505, 510] }),
        ...tasksOf('cpu', 'bogo_ops', 'ops', {
          'host-1': [100, 101, 102],
          'host-2': [100, 101, 102],
          'host-3': [101, 102, 103],
        }),
      ]),
    );

    const summary = outlierSummary(report);

    expect(summary.notes).toEqual([
      '1 metric not checked: fewer than 3 hosts report it, and of two hosts neither is the odd one.',
      '1 metric checked without an outlier: no host is more than 10% from the fleet median and significantly different from it (t-test of its repetitions, p < 0.05 divided by the hosts tested).',
    ]);
  });
});
