/**
 * kill -9 of the engine at several points, then `resume`: every task ends COMPLETED exactly once and no
 * task that had completed runs again (its recorded start time is unchanged).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { hostWork } from '../support/host-work.js';
import { until } from '../support/processes.js';

const HOSTS = ['host-1', 'host-2', 'host-3'];

const PLAN = `
name: crash
hosts: { local: 3 }
repetitions: 3
setup: ["touch global-setup.started", "sleep 0.6"]
teardown: ["touch global-teardown.started", "sleep 0.6", "touch global-teardown.finished"]
workloads:
  - name: work
    plugin: shell
    options:
      command: |
        echo "{\\"rep\\": $FLEETBENCH_REP}"
        sleep 0.3
`;

const t = engineFixture();

const show = (runId: string) => t.cli.runJson<RunView>('show', runId);
const onEveryHost = (file: string) => () =>
  HOSTS.every((h) => existsSync(join(hostWork(t.cli.dataDir, h), file)));

/** Kill points: what to wait for before `kill -9`. */
const points: [string, (runId: string) => Promise<boolean> | boolean][] = [
  ['during global setup', onEveryHost('global-setup.started')],
  [
    'mid-repetition',
    async (runId) => {
      const view = await show(runId);
      return view.counts.completed >= 3 && view.counts.running > 0;
    },
  ],
  ['during global teardown', onEveryHost('global-teardown.started')],
];

describe('Resume after kill -9 of the engine', () => {
  it.each(points)('completes every task exactly once after a kill %s', async (_point, reached) => {
    const plan = await t.cli.writePlan('plan.yaml', PLAN);
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', plan]);
    const runId = await t.engine.runId;
    await until(() => reached(runId), { what: 'the kill point', timeoutMs: 30_000, intervalMs: 25 });
    t.engine.child.kill('SIGKILL');
    await t.engine.exited;
    const before = await show(runId);

    const resumed = await t.cli.run('resume', runId);
    const after = await show(runId);

    expect(before.state).toBe('FAILED');
    expect(before.reason).toMatch(/is gone; resume with `fleetbench resume/);
    expect(resumed.code).toBe(0);
    expect(after.state).toBe('FINISHED');
    expect(after.counts).toMatchObject({ completed: 9, failed: 0, running: 0, pending: 0 });
    for (const task of before.tasks.filter((t) => t.status === 'COMPLETED')) {
      const now = after.tasks.find((t) => t.key === task.key);
      expect(now?.startedAt).toBe(task.startedAt);
      expect(now?.attempts).toBe(task.attempts);
    }
    expect(after.attempt).toBe(2);
    expect(after.states.map((s) => s.to)).toContain('INIT');
    expect(onEveryHost('global-teardown.finished')()).toBe(true);
  });

  it('says there is nothing to resume for a run that finished with every task completed', async () => {
    const plan = await t.cli.writePlan('plan.yaml', PLAN.replace('repetitions: 3', 'repetitions: 1'));
    const first = await t.cli.run('run', plan);
    const runId = /Started run (\S+)/.exec(first.stdout)?.[1] ?? '';

    const again = await t.cli.run('resume', runId);

    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to resume: run \S+ has no pending, failed or cancelled task/);
    expect((await show(runId)).attempt).toBe(1);
  });

  it('re-runs only the failed tasks with --only-failed, and appends to the same journal', async () => {
    const plan = await t.cli.writePlan(
      'plan.yaml',
      `
name: flaky
hosts: { local: 2 }
repetitions: 2
workloads:
  - name: flaky
    plugin: shell
    options:
      command: |
        if [ "$FLEETBENCH_HOST" = host-2 ] && [ ! -e healed ]; then echo broken >&2; exit 4; fi
        echo '{"ok": 1}'
`,
    );
    const first = await t.cli.run('run', plan);
    const runId = /Started run (\S+)/.exec(first.stdout)?.[1] ?? '';
    const failedRun = await show(runId);
    await writeFile(join(hostWork(t.cli.dataDir, 'host-2'), 'healed'), '');

    const resumed = await t.cli.run('resume', runId, '--only-failed');
    const after = await show(runId);

    expect(first.code).toBe(1);
    expect(failedRun.counts).toMatchObject({ completed: 2, failed: 2 });
    expect(resumed.code).toBe(0);
    expect(after.counts).toMatchObject({ completed: 4, failed: 0 });
    for (const t of after.tasks) expect(t.attempts).toBe(t.host === 'host-2' ? 2 : 1);
  });
});
