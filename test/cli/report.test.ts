import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../lib/cli/report/csv.js';
import type { RunReport } from '../../lib/core/report/run-report.js';
import { CliHarness } from '../support/cli.js';
import { runIdOf, syntheticPlan } from './synthetic-plan.js';

describe('Command: report', () => {
  let cli: CliHarness;
  let runId: string;
  let twoReps: string;

  beforeAll(async () => {
    cli = await CliHarness.create();
    const plan = await cli.writePlan('plan.yaml', syntheticPlan({ slowHost: 'host-3' }));
    const run = await cli.run('run', plan);
    expect(run.code).toBe(0);
    runId = runIdOf(run.stdout);
    const short = await cli.run(
      'run',
      await cli.writePlan('short.yaml', syntheticPlan({ slowHost: 'host-3', repetitions: 2 })),
    );
    expect(short.code).toBe(0);
    twoReps = runIdOf(short.stdout);
  });

  afterAll(async () => cli.dispose());

  it('prints Markdown tables by default, with the slow host flagged as an outlier', async () => {
    const r = await cli.run('report', runId);

    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# fleetbench report: synthetic\n/);
    expect(r.stdout).toContain(`- **run** ${runId}`);
    expect(r.stdout).toContain(
      '| metric | unit | host | n | mean | stdev | min | max | CV | vs median | p |',
    );
    // latency_ms: host-1 104, 107, 110; host-2 105, 108, 111; host-3 ⌊1.4 · (106, 109, 112)⌋ = 148, 152, 156.
    expect(r.stdout).toContain(
      '| **latency_ms** | ms | **fleet** | 9 | 122 | 22.44 | 104 | 156 | 18.3% | median 108 |  |',
    );
    // host-1 against the median 108: t = −1 / (3 / √3), ν = 2, p = 0.6220.
    expect(r.stdout).toContain('|  |  | host-1 | 3 | 107 | 3 | 104 | 110 | 2.8% | -0.9% | 0.6220 |');
    // host-3: t = 44 / (4 / √3) = 19.05, p = 0.0027 < 0.05 / 3.
    expect(r.stdout).toContain(
      '|  |  | **host-3** ⚠ | 3 | 152 | 4 | 148 | 156 | 2.6% | **+40.7%** | 0.0027 |',
    );
    expect(r.stdout).toContain(
      '- **host-3** api / latency_ms: mean 152 ms, +40.7% from the fleet median 108 ms, p 0.0027',
    );
    expect(r.stdout).toContain('| **requests_per_s** | req/s | **fleet** | 9 | 8.398 k |');
  });

  it('flags no host with 2 repetitions a host, and says why instead of "no outliers"', async () => {
    // Act: host-3 is 40 % slower, but two repetitions cannot tell a host's difference from its noise.
    const md = await cli.run('report', twoReps);
    const json = JSON.parse((await cli.run('report', twoReps, '--format', 'json')).stdout) as RunReport;

    // Assess
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('## Outliers\n\nNo outliers flagged.\n');
    expect(md.stdout).toContain(
      "- 2 metrics not checked: no host has 3 repetitions (at most 2), too few to tell a host's difference from its own noise; run 3 or more repetitions.",
    );
    expect(json.outliers).toEqual([]);
    expect(json.metrics.map((m) => m.outlierSkip)).toEqual(['few-repetitions', 'few-repetitions']);
    expect(json.metrics[0]?.hosts[2]?.deviationPercent).toBeGreaterThan(30);
  });

  it('takes the significance level of the outlier rule from --alpha', async () => {
    // host-3's p is 0.0027 for latency and 0.0014 for requests: above 0.001 / 3, so a stricter alpha flags none.
    const strict = JSON.parse(
      (await cli.run('report', runId, '--format', 'json', '--alpha', '0.001')).stdout,
    ) as RunReport;

    expect(strict.outlierRule.alpha).toBe(0.001);
    expect(strict.outliers).toEqual([]);
  });

  it('writes one CSV row per workload, metric and host plus a fleet row, at full precision', async () => {
    const r = await cli.run('report', runId, '--format', 'csv');
    const lines = r.stdout.trimEnd().split('\n');

    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + 2 * 4);
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^api,latency_ms,ms,lower,host,host-1,3,107,3,104,110,${(100 * 3) / 107},,${(100 * (107 - 108)) / 108},false,0\\.6220\\d+$`,
        ),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^api,latency_ms,ms,lower,host,host-3,3,152,4,148,156,${(100 * 4) / 152},,${(100 * (152 - 108)) / 108},true,0\\.0027\\d+$`,
        ),
      ),
    );
    expect(lines.filter((l) => l.includes(',fleet,,'))).toHaveLength(2);
  });

  it('prints JSON with sorted keys that parses to the report model', async () => {
    const r = await cli.run('report', runId, '--format', 'json', '--deviation', '50');
    const report = JSON.parse(r.stdout) as RunReport;

    expect(Object.keys(report)).toEqual(['deviationPercent', 'metrics', 'outlierRule', 'outliers', 'run']);
    expect(report.outlierRule).toEqual({ alpha: 0.05, deviationPercent: 50, minHosts: 3, minRepetitions: 3 });
    expect(Object.keys(report.metrics[0] ?? {})).toEqual([...Object.keys(report.metrics[0] ?? {})].sort());
    expect(report.deviationPercent).toBe(50);
    expect(report.outliers).toEqual([]);
    expect(report.metrics.map((m) => [m.metric, m.direction, m.fleet.n])).toEqual([
      ['latency_ms', 'lower', 9],
      ['requests_per_s', 'higher', 9],
    ]);
  });

  it('writes the report to --output instead of stdout and says where on stderr', async () => {
    const r = await cli.run('report', runId, '--format', 'html', '--output', 'out/report.html');
    const html = readFileSync(join(cli.dir, 'out', 'report.html'), 'utf8');

    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Wrote the html report of ${runId} to ${join(cli.dir, 'out', 'report.html')}`);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg [^>]*data-metric="api\/[a-z_]+"/g)).toHaveLength(4);
  });

  it.each([
    [['--format', 'pdf'], 'error: unknown report format "pdf" (use --format md|csv|json|html)'],
    [['--deviation', 'ten'], 'error: --deviation must be a number, got "ten"'],
    [['--deviation', '-5'], 'error: invalid deviation threshold -5: must be a percentage >= 0'],
    [['--alpha', '1'], 'error: invalid significance level 1: must be between 0 and 1'],
  ])('rejects %j with one line and exit 2', async (args, message) => {
    const r = await cli.run('report', runId, ...args);

    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(message);
  });

  it('rejects an unknown run with exit 2', async () => {
    const r = await cli.run('report', 'nope-20260101-000000-abcd');

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run nope-20260101-000000-abcd not found');
  });
});
