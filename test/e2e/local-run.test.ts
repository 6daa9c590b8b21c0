import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { CliHarness } from '../support/cli.js';
import { hostWork } from '../support/host-work.js';

const PLAN = `
name: e2e-basic
hosts: { local: 3 }
repetitions: 2
setup:
  - echo "global setup $FLEETBENCH_HOST" > global-setup.marker
teardown:
  - date +%s%N > global-teardown.marker
workloads:
  - name: seeded
    plugin: shell
    options:
      command: |
        echo "some noise"
        echo "{\\"seed\\": $FLEETBENCH_SEED, \\"rep\\": $FLEETBENCH_REP}"
    setup: ["touch seeded.setup"]
    teardown: ["date +%s%N > seeded.teardown"]
  - name: broken
    plugin: shell
    options:
      command: 'echo "bad things" >&2; exit 3'
`;

describe('Local run, end to end', () => {
  let cli: CliHarness;
  let result: Awaited<ReturnType<CliHarness['run']>>;
  let view: RunView;

  beforeAll(async () => {
    cli = await CliHarness.create();
    const plan = await cli.writePlan('plan.yaml', PLAN);
    result = await cli.run('run', plan);
    const runId = /Started run (\S+)/.exec(result.stdout)?.[1] ?? '';
    view = await cli.runJson<RunView>('show', runId);
  });

  afterAll(async () => cli.dispose());

  it('prints the run id first and exits 1 because a workload failed', () => {
    expect(result.stdout.split('\n')[0]).toMatch(/^Started run e2e-basic-\d{8}-\d{6}-[a-z0-9]{4}$/);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FINISHED');
  });

  it('journals 12 tasks: the working workload COMPLETED with metrics, the failing one FAILED with its exit code', () => {
    expect(view.tasks).toHaveLength(12);
    const seeded = view.tasks.filter((t) => t.workload === 'seeded');
    const broken = view.tasks.filter((t) => t.workload === 'broken');
    expect(seeded.map((t) => t.status)).toEqual(Array(6).fill('COMPLETED'));
    expect(broken.map((t) => t.status)).toEqual(Array(6).fill('FAILED'));
    for (const t of seeded) {
      expect(t.durationMs).toBeGreaterThanOrEqual(0);
      expect(t.metrics.rep?.value).toBe(t.rep);
      expect(t.metrics.seed?.value).toBeGreaterThan(0);
      expect(t.exitCode).toBe(0);
      expect(t.attempts).toBe(1);
    }
    for (const t of broken) {
      expect(t.exitCode).toBe(3);
      expect(t.error).toBe('exit code 3: bad things');
    }
    expect(view.counts).toEqual({
      pending: 0,
      running: 0,
      completed: 6,
      failed: 6,
      skipped: 0,
      cancelled: 0,
    });
  });

  it('gives every task its own deterministic seed', () => {
    const seeds = view.tasks.filter((t) => t.workload === 'seeded').map((t) => t.metrics.seed?.value);
    expect(new Set(seeds).size).toBe(6);
  });

  it('records the controller states in order in the audit trail', () => {
    expect(view.states.map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'RUNNING_GLOBAL_TEARDOWN',
      'FINISHED',
    ]);
    expect(view.state).toBe('FINISHED');
  });

  it('ran setups and teardowns on every host, global teardown after the failing workload', () => {
    for (const host of ['host-1', 'host-2', 'host-3']) {
      const work = hostWork(cli.dataDir, host);
      expect(readFileSync(join(work, 'global-setup.marker'), 'utf8')).toBe(`global setup ${host}\n`);
      expect(existsSync(join(work, 'seeded.setup'))).toBe(true);
      const workloadTeardown = BigInt(readFileSync(join(work, 'seeded.teardown'), 'utf8').trim());
      const globalTeardown = BigInt(readFileSync(join(work, 'global-teardown.marker'), 'utf8').trim());
      expect(globalTeardown > workloadTeardown).toBe(true);
    }
    const lastBroken = Math.max(
      ...view.tasks.filter((t) => t.workload === 'broken').map((t) => Date.parse(t.startedAt ?? '')),
    );
    const teardownAt = Date.parse(view.states.find((s) => s.to === 'RUNNING_GLOBAL_TEARDOWN')?.at ?? '');
    expect(teardownAt).toBeGreaterThanOrEqual(lastBroken);
  });

  it('keeps raw outputs per task and lists the run in the catalog', async () => {
    const task = view.tasks.find((t) => t.workload === 'seeded');
    expect(readFileSync(task?.outputRef ?? '', 'utf8')).toContain('some noise');
    const runs = await cli.runJson<{ runId: string; state: string; counts: { completed: number } }[]>('runs');
    expect(runs).toEqual([
      expect.objectContaining({
        runId: view.runId,
        state: 'FINISHED',
        counts: expect.objectContaining({ completed: 6 }),
      }),
    ]);
  });

  it('publishes every transition and task outcome as CloudEvents 1.0 with deterministic, unique ids', async () => {
    const lines = (await cli.run('events', view.runId, '--json')).stdout.trim().split('\n');
    const again = (await cli.run('events', view.runId, '--json', '--follow')).stdout.trim().split('\n');
    const events = lines.map(
      (l) => JSON.parse(l) as { specversion: string; id: string; type: string; source: string },
    );

    expect(again).toEqual(lines);
    expect(
      events.every((e) => e.specversion === '1.0' && e.source === `fleetbench/local/${view.runId}`),
    ).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const types = events.map((e) => e.type.replace('dev.fleetbench.', ''));
    expect(types[0]).toBe('run.started');
    expect(types.at(-1)).toBe('run.finished');
    expect(types.filter((t) => t === 'run.state.changed')).toHaveLength(4);
    expect(types.filter((t) => t === 'task.completed')).toHaveLength(6);
    expect(types.filter((t) => t === 'task.failed')).toHaveLength(6);
    const human = await cli.run('events', view.runId);
    expect(human.stdout).toMatch(/run\.state\.changed\s+RUNNING_GLOBAL_TEARDOWN -> FINISHED/);
  });
});
