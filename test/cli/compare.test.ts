import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison, Gate } from '../../lib/core/report/compare.js';
import { CliHarness } from '../support/cli.js';
import { runIdOf, syntheticPlan } from './synthetic-plan.js';

type CompareJson = Comparison & { gate: Gate | null };

describe('Command: compare', () => {
  let cli: CliHarness;
  let baseline: string;
  let rerun: string;
  let slower: string;
  let renamed: string;
  let single: string;

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
    // The same benchmark under another workload name: no metric in common with the baseline.
    renamed = await run('renamed.yaml', syntheticPlan({ workload: 'api-v2', slowdownPercent: 50 }));
    // One host, one repetition: shared metrics, but a single value each, which no test can judge.
    single = await run('single.yaml', syntheticPlan({ hosts: 1, repetitions: 1, slowdownPercent: 50 }));
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
    expect(r.stdout).toContain(
      'Gate passed: no metric regressed significantly by more than 1% (2 compared).',
    );
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

  it('fails the gate when the two runs share no metric, instead of passing on nothing', async () => {
    // Act
    const text = await cli.run('compare', baseline, renamed, '--fail-on-regression', '5');
    const json = JSON.parse(
      (await cli.run('compare', baseline, renamed, '--fail-on-regression', '5', '--json')).stdout,
    ) as CompareJson;
    const ungated = await cli.run('compare', baseline, renamed);

    // Assess
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'Gate failed: the two runs share no metric (workload × metric × unit), so nothing was compared; was a workload or metric renamed? Compare runs of the same plan',
    );
    expect(json.gate).toEqual({
      thresholdPercent: 5,
      passed: false,
      failures: [],
      tested: 0,
      problem: 'no shared metric',
    });
    expect(json.rows.map((row) => row.verdict)).toEqual([
      'only in baseline',
      'only in baseline',
      'only in candidate',
      'only in candidate',
    ]);
    expect(ungated.code).toBe(0);
  });

  it('fails the gate when no shared metric has the two values a side a t-test needs', async () => {
    const r = await cli.run('compare', baseline, single, '--fail-on-regression', '5');

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/api +latency_ms +ms +108 \(n=9\) +156 \(n=1\) +\+44\.4% +- +insufficient data/);
    expect(r.stdout).toContain(
      'Gate failed: no shared metric has 2 values on each side, so the t-test could judge none; run more repetitions or hosts',
    );
  });

  it('prints a Markdown summary for a pull-request comment with --format md', async () => {
    // Act
    const r = await cli.run('compare', baseline, slower, '--fail-on-regression', '10', '--format', 'md');

    // Assess: the verdict first, then the metrics that moved, failing ones marked.
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('### ❌ fleetbench compare: gate failed');
    expect(lines[2]).toBe(
      '**Gate failed**: 2 metric(s) regressed significantly by more than 10%: api/latency_ms (+49.8%), api/requests_per_s (-33.2%)',
    );
    expect(r.stdout).toContain(`Baseline \`${baseline}\` (synthetic, FINISHED) → candidate \`${slower}\``);
    expect(r.stdout).toContain('2 regressed, 1 only in candidate.');
    expect(r.stdout).toContain(
      '|  | workload | metric | unit | baseline | candidate | change | p | verdict |',
    );
    expect(r.stdout).toMatch(
      /\| ❌ \| api \| latency_ms \| ms \| 108 \(n=9\) \| 162 \(n=9\) \| \+49\.8% \| [\d.e-]+ \| \*\*regressed\*\* \|/,
    );
    expect(r.stdout).toContain('|  | api | cache_misses | count | - | 7 (n=9) | - | - | only in candidate |');
  });

  it('folds the metrics without a significant change into a details block of the Markdown summary', async () => {
    const r = await cli.run('compare', baseline, rerun, '--fail-on-regression', '5', '--format', 'md');

    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('### ✅ fleetbench compare: gate passed');
    expect(r.stdout).toContain('<details><summary>2 metric(s) with no significant change</summary>');
    expect(r.stdout).toContain(
      '|  | api | latency_ms | ms | 108 (n=9) | 108 (n=9) | +0.0% | 1.0000 | no significant change |',
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
    [['--format', 'html'], 'unknown compare format "html" (use --format text|md|json)'],
    [['--format', 'md', '--json'], '--json contradicts --format md'],
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
