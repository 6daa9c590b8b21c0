/**
 * Parameter sweeps and warm-ups through the real CLI: `validate` shows what a matrix expands into, a run
 * journals each variant as a workload of its own with its options, `show`, `report`, `compare` and
 * `export` treat variants one by one, and warm-up repetitions are journaled and shown but left out of
 * every statistic. A kill -9 mid-sweep and `resume` find the same variants again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import type { Comparison } from '../../lib/core/report/compare.js';
import type { RunReport } from '../../lib/core/report/run-report.js';
import { CliHarness } from '../support/cli.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { until } from '../support/processes.js';

/** A warm-up (repetition 1 of probe) reports a value no measured repetition comes near. */
const PLAN = `
name: sweep
hosts: { local: 2 }
repetitions: 2
workloads:
  - name: hash
    plugin: cpu-hash
    options: { algorithm: sha256 }
    matrix: { sizeMiB: [1, 2] }
  - name: probe
    plugin: shell
    warmup: 1
    options:
      command: |
        if [ "$FLEETBENCH_REP" = 1 ]; then echo '{"latency_ms": 1000000}'; exit 0; fi
        echo "{\\"latency_ms\\": $((10 + FLEETBENCH_REP))}"
`;

const VARIANTS = ['hash[sizeMiB=1]', 'hash[sizeMiB=2]'];

describe('A plan with a matrix and warm-ups', () => {
  let cli: CliHarness;
  let planPath: string;
  let run: Awaited<ReturnType<CliHarness['run']>>;
  let runId: string;
  let view: RunView;

  beforeAll(async () => {
    cli = await CliHarness.create();
    planPath = await cli.writePlan('plan.yaml', PLAN);
    run = await cli.run('run', planPath);
    runId = /Started run (\S+)/.exec(run.stdout)?.[1] ?? '';
    view = await cli.runJson<RunView>('show', runId);
  });

  afterAll(async () => cli.dispose());

  it('is shown by validate with the variants it expands into and every task, warm-ups counted', async () => {
    // Act
    const text = await cli.run('validate', planPath);
    const json = await cli.runJson<{
      workloads: number;
      tasks: number;
      warmupTasks: number;
      variants: unknown;
    }>('validate', planPath);

    // Assess
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      '  3 workload(s), 2 host(s), 14 task(s) (2 of them warm-ups, left out of the statistics)\n' +
        '  hash: matrix of 2 variant(s)\n' +
        '    hash[sizeMiB=1]\n' +
        '    hash[sizeMiB=2]\n',
    );
    expect(json).toMatchObject({ workloads: 3, tasks: 14, warmupTasks: 2 });
    expect(json.variants).toStrictEqual([{ workload: 'hash', names: VARIANTS }]);
  });

  it('refuses a matrix value the plugin refuses, at its line and column, before anything runs', async () => {
    // Prepare
    const bad = await cli.writePlan('bad.yaml', PLAN.replace('sizeMiB: [1, 2]', 'sizeMiB: [1, 0]'));

    // Act
    const result = await cli.run('validate', bad);
    const started = await cli.run('run', bad);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${bad}:9:28: workloads[0].matrix.sizeMiB[1]: must be at least 1 (see docs/plan.md)\n`,
    );
    expect(started.code).toBe(2);
    expect(started.stdout).toBe('');
  });

  it('journals each variant as a workload of its own, with its values in its options', () => {
    expect(run.code).toBe(0);
    expect(view.workloads).toStrictEqual([...VARIANTS, 'probe']);
    expect(view.counts).toMatchObject({ completed: 14, failed: 0 });
    expect(view.workloadSettings.map((w) => [w.name, w.of, w.parameters, w.options])).toStrictEqual([
      ['hash[sizeMiB=1]', 'hash', { sizeMiB: 1 }, { algorithm: 'sha256', sizeMiB: 1 }],
      ['hash[sizeMiB=2]', 'hash', { sizeMiB: 2 }, { algorithm: 'sha256', sizeMiB: 2 }],
      ['probe', 'probe', {}, expect.objectContaining({ expectMetrics: false })],
    ]);
    for (const [index, variant] of VARIANTS.entries()) {
      const tasks = view.tasks.filter((t) => t.workload === variant);
      expect(tasks.map((t) => t.key)).toStrictEqual([
        `host-1::${variant}::1`,
        `host-2::${variant}::1`,
        `host-1::${variant}::2`,
        `host-2::${variant}::2`,
      ]);
      // The command each variant ran had its own size: the tool's raw output says so.
      for (const t of tasks)
        expect(readFileSync(t.outputRef ?? '', 'utf8')).toContain(`"size_mib":${index + 1}`);
    }
  });

  it('journals warm-ups first, marked, and shows them marked', async () => {
    // Act
    const text = await cli.run('show', runId);

    // Assess
    const probe = view.tasks.filter((t) => t.workload === 'probe');
    expect(probe.map((t) => [t.rep, t.warmup, t.status, t.metrics.latency_ms?.value])).toStrictEqual([
      [1, true, 'COMPLETED', 1_000_000],
      [1, true, 'COMPLETED', 1_000_000],
      [2, false, 'COMPLETED', 12],
      [2, false, 'COMPLETED', 12],
      [3, false, 'COMPLETED', 13],
      [3, false, 'COMPLETED', 13],
    ]);
    expect(view.tasks.filter((t) => t.warmup)).toHaveLength(2);
    // The summary at the end of the run counts them done, and takes its means without them.
    expect(run.stdout).toMatch(/^probe +6 +0 +0 +\S+ +latency_ms=12\.5$/m);
    expect(text.stdout).toMatch(/^host-1::probe::1 \(warm-up\) +COMPLETED/m);
    expect(text.stdout).toMatch(/^host-1::probe::2 +COMPLETED/m);
    expect(text.stdout).toMatch(/^WORKLOAD +PLUGIN +REPS +WARM-UP +OPTIONS$/m);
    expect(text.stdout).toMatch(/^hash\[sizeMiB=2\] +cpu-hash +2 +0 +algorithm=sha256 sizeMiB=2$/m);
    expect(text.stdout).toMatch(/^probe +shell +2 +1 +command=/m);
  });

  it('reports each variant as its own workload and leaves the warm-ups out of every format', async () => {
    // Act
    const json = JSON.parse((await cli.run('report', runId, '--format', 'json')).stdout) as RunReport;
    const md = (await cli.run('report', runId)).stdout;
    const csv = (await cli.run('report', runId, '--format', 'csv')).stdout;
    const html = (await cli.run('report', runId, '--format', 'html')).stdout;

    // Assess
    expect([...new Set(json.metrics.map((m) => m.workload))]).toStrictEqual([...VARIANTS, 'probe']);
    const latency = json.metrics.find((m) => m.workload === 'probe' && m.metric === 'latency_ms');
    expect(latency?.fleet).toMatchObject({ n: 4, mean: 12.5, min: 12, max: 13 });
    expect(latency?.hosts.map((h) => h.values.map((v) => v.rep))).toStrictEqual([
      [2, 3],
      [2, 3],
    ]);
    expect(json.run.warmupTasks).toBe(2);
    expect(md).toContain('## hash\\[sizeMiB=1\\]');
    expect(md).toContain(
      '14 completed, 0 failed, 0 cancelled, 0 skipped, 0 pending, 0 running (2 of them warm-ups',
    );
    expect(csv).toContain('hash[sizeMiB=2]');
    expect(html).toMatch(/<h2 id="workload-\d+">hash\[sizeMiB=1\]<\/h2>/);
    expect(html).toContain('2 of them warm-ups, left out of the statistics');
    for (const text of [JSON.stringify(json), md, csv, html]) {
      expect(text).not.toMatch(/1000000|1\.000e\+6|1e\+6/);
    }
  });

  it('compares variant with variant and leaves the warm-ups out', async () => {
    // Prepare
    const second = await cli.run('run', planPath);
    const candidate = /Started run (\S+)/.exec(second.stdout)?.[1] ?? '';

    // Act
    const comparison = await cli.runJson<Comparison>('compare', runId, candidate);
    const gate = await cli.run('compare', runId, candidate, '--fail-on-regression', '1000');

    // Assess
    expect(second.code).toBe(0);
    const rows = comparison.rows.map((r) => `${r.workload} ${r.metric}`);
    expect(rows).toEqual(
      expect.arrayContaining([
        'hash[sizeMiB=1] hash_throughput',
        'hash[sizeMiB=2] hash_throughput',
        'probe latency_ms',
      ]),
    );
    const probe = comparison.rows.find((r) => r.workload === 'probe');
    expect(probe).toMatchObject({
      baseline: { n: 4, mean: 12.5 },
      candidate: { n: 4, mean: 12.5 },
      changePercent: 0,
      verdict: 'no significant change',
    });
    expect(comparison.rows.find((r) => r.workload === 'hash[sizeMiB=1]')?.baseline?.n).toBe(4);
    expect(gate.code).toBe(0);
  });

  it('exports the warm-ups marked, in the journal, and keeps them out of report.json', async () => {
    // Prepare
    const dir = join(cli.dir, 'export');

    // Act
    const result = await cli.run('export', runId, dir);

    // Assess
    expect(result.code).toBe(0);
    const journal = JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as {
      tasks: { key: string; warmup?: boolean }[];
    };
    expect(journal.tasks.filter((t) => t.warmup === true).map((t) => t.key)).toStrictEqual([
      'host-1::probe::1',
      'host-2::probe::1',
    ]);
    const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as { workloads: unknown[] };
    expect(plan.workloads[0]).toMatchObject({ name: 'hash', matrix: { sizeMiB: [1, 2] } });
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
    expect(report.metrics.find((m) => m.workload === 'probe')?.fleet.n).toBe(4);
  });
});

describe('A sweep killed with kill -9 and resumed', () => {
  const t = engineFixture();

  it('runs the same variants again, keeps the warm-ups that completed, and finishes every task once', async () => {
    // Prepare
    const plan = await t.cli.writePlan(
      'plan.yaml',
      `
name: crash-sweep
hosts: { local: 2 }
repetitions: 2
warmup: 1
workloads:
  - name: slow
    plugin: shell
    matrix: { expectMetrics: [true, false] }
    options:
      command: |
        echo "{\\"rep\\": $FLEETBENCH_REP}"
        sleep 0.3
`,
    );
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', plan]);
    const runId = await t.engine.runId;
    await until(
      async () => {
        const view = await t.cli.runJson<RunView>('show', runId);
        return view.counts.completed >= 4 && view.counts.running > 0;
      },
      { what: 'the second repetition done and another running', timeoutMs: 30_000, intervalMs: 25 },
    );
    t.engine.child.kill('SIGKILL');
    await t.engine.exited;
    const before = await t.cli.runJson<RunView>('show', runId);

    // Act
    const resumed = await t.cli.run('resume', runId);
    const after = await t.cli.runJson<RunView>('show', runId);
    const report = JSON.parse((await t.cli.run('report', runId, '--format', 'json')).stdout) as RunReport;

    // Assess
    expect(before.state).toBe('FAILED');
    expect(resumed.code).toBe(0);
    expect(after.state).toBe('FINISHED');
    expect(after.workloads).toStrictEqual(['slow[expectMetrics=true]', 'slow[expectMetrics=false]']);
    expect(after.workloadSettings).toStrictEqual(before.workloadSettings);
    expect(after.counts).toMatchObject({ completed: 12, failed: 0, running: 0, pending: 0 });
    for (const task of before.tasks.filter((x) => x.status === 'COMPLETED')) {
      const now = after.tasks.find((x) => x.key === task.key);
      expect(now?.startedAt).toBe(task.startedAt);
      expect(now?.attempts).toBe(task.attempts);
    }
    expect(after.tasks.filter((x) => x.warmup).map((x) => x.key)).toStrictEqual([
      'host-1::slow[expectMetrics=true]::1',
      'host-2::slow[expectMetrics=true]::1',
      'host-1::slow[expectMetrics=false]::1',
      'host-2::slow[expectMetrics=false]::1',
    ]);
    expect(report.metrics.map((m) => [m.workload, m.fleet.n, m.fleet.min])).toStrictEqual([
      ['slow[expectMetrics=true]', 4, 2],
      ['slow[expectMetrics=false]', 4, 2],
    ]);
  });
});
