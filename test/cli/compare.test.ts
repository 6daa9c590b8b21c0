import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison, ComparisonRow } from '../../lib/core/report/compare.js';
import { CliHarness } from '../support/cli.js';
import { runIdOf, syntheticPlan } from './synthetic-plan.js';

type CompareJson = Comparison & {
  gate: { thresholdPercent: number; passed: boolean; failures: ComparisonRow[] } | null;
};

describe('Command: compare', () => {
  let cli: CliHarness;
  let baseline: string;
  let rerun: string;
  let slower: string;

  beforeAll(async () => {
    cli = await CliHarness.create();
    const run = async (file: string, plan: string) => {
      const r = await cli.run('run', await cli.writePlan(file, plan));
      expect(r.code).toBe(0);
      return runIdOf(r.stdout);
    };
    baseline = await run('baseline.yaml', syntheticPlan());
    rerun = await run('rerun.yaml', syntheticPlan());
    // The injected slowdown: every latency 50% higher, so requests per second a third lower; one new metric.
    slower = await run('slower.yaml', syntheticPlan({ slowdownPercent: 50, extraMetric: true }));
  });

  afterAll(async () => cli.dispose());

  it('finds no significant change between two runs of the same plan, and the gate passes', async () => {
    const r = await cli.run('compare', baseline, rerun, '--fail-on-regression', '1');

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Baseline   ${baseline} (synthetic, FINISHED)`);
    expect(r.stdout).toMatch(
      /api +latency_ms +ms +108 \(n=9\) +108 \(n=9\) +\+0\.0% +1\.0000 +no significant change/,
    );
    expect(r.stdout).toContain('2 no significant change.');
    expect(r.stdout).toContain('Gate passed: no metric regressed significantly by more than 1%.');
  });

  it('flags the slowed-down metrics as regressed and fails the CI gate with exit 1', async () => {
    const r = await cli.run('compare', baseline, slower, '--fail-on-regression', '10');

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/api +latency_ms +ms +108 \(n=9\) +162 \(n=9\) +\+49\.8% +\S+ +regressed/);
    expect(r.stdout).toMatch(/api +requests_per_s +req\/s .* -33\.\d% +\S+ +regressed/);
    expect(r.stdout).toMatch(/api +cache_misses +count +- +7 \(n=9\) +- +- +only in candidate/);
    expect(r.stdout).toContain(
      'Gate failed: 2 metric(s) regressed significantly by more than 10%: api/latency_ms (+49.8%), api/requests_per_s (-33.',
    );
  });

  it('passes the gate when the regression is within the threshold', async () => {
    const r = await cli.run('compare', baseline, slower, '--fail-on-regression', '60');

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Gate passed');
  });

  it('reports without judging when no gate is asked for', async () => {
    const r = await cli.run('compare', baseline, slower);

    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Gate');
    expect(r.stdout).toContain('2 regressed, 1 only in candidate.');
  });

  it('calls the improvement "improved" when the runs swap roles', async () => {
    const result = await cli.runJson<CompareJson>('compare', slower, baseline);

    expect(result.rows.map((row) => [row.metric, row.verdict])).toEqual([
      ['cache_misses', 'only in baseline'],
      ['latency_ms', 'improved'],
      ['requests_per_s', 'improved'],
    ]);
  });

  it('prints the comparison and the gate as JSON for scripts', async () => {
    const r = await cli.run(
      'compare',
      baseline,
      slower,
      '--json',
      '--fail-on-regression',
      '10',
      '--alpha',
      '0.01',
    );
    const result = JSON.parse(r.stdout) as CompareJson;

    expect(r.code).toBe(1);
    expect(result.alpha).toBe(0.01);
    expect(result.baseline.runId).toBe(baseline);
    const latency = result.rows.find((row) => row.metric === 'latency_ms');
    expect(latency).toMatchObject({
      workload: 'api',
      unit: 'ms',
      direction: 'lower',
      baseline: { n: 9, mean: 108 },
      verdict: 'regressed',
    });
    expect(latency?.p).toBeLessThan(1e-6);
    expect(latency?.t).toBeGreaterThan(0);
    expect(result.gate).toMatchObject({ thresholdPercent: 10, passed: false });
    expect(result.gate?.failures.map((f) => f.metric)).toEqual(['latency_ms', 'requests_per_s']);
  });

  it.each([
    [['--alpha', '2'], 'invalid significance level 2'],
    [['--alpha', 'x'], '--alpha must be a number'],
    [['--fail-on-regression', 'lots'], '--fail-on-regression must be a number'],
  ])('rejects %j with exit 2', async (args, message) => {
    const r = await cli.run('compare', baseline, rerun, ...args);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('rejects an unknown baseline with exit 2', async () => {
    const r = await cli.run('compare', 'nope-20260101-000000-abcd', rerun);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run nope-20260101-000000-abcd not found');
  });
});
