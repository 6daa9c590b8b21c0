/**
 * strategy: free end to end on the local target: the same run.asl.json, its Distributed Map run inline by the
 * interpreter, one sequence per host. A slow host holds up no other; a stop, fail-fast and resume behave as
 * in lockstep, and every teardown still runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView, TaskView } from '../../lib/cli/run-view.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { hostWork } from '../support/host-work.js';
import { isPidAlive as alive, until } from '../support/processes.js';

const HOSTS = ['host-1', 'host-2', 'host-3'];

const t = engineFixture();

async function runPlan(plan: string, ...args: string[]): Promise<{ code: number; view: RunView }> {
  const path = await t.cli.writePlan('plan.yaml', plan);
  const result = await t.cli.run('run', path, ...args);
  const runId = /Started run (\S+)/.exec(result.stdout)?.[1];
  if (!runId) throw new Error(`no run id in: ${result.stdout}${result.stderr}`);
  return { code: result.code, view: await t.cli.runJson<RunView>('show', runId) };
}

const marker = (host: string, file: string) => existsSync(join(hostWork(t.cli.dataDir, host), file));
const task = (view: RunView, key: string): TaskView => {
  const found = view.tasks.find((t) => t.key === key);
  if (!found) throw new Error(`no task ${key}`);
  return found;
};
const startedAt = (t: TaskView) => Date.parse(t.startedAt ?? '');
const finishedAt = (t: TaskView) => startedAt(t) + (t.durationMs ?? Number.NaN);

describe('Strategy free, end to end', () => {
  it('lets fast hosts finish every workload while a slow host is still on its first repetition', async () => {
    const { code, view } = await runPlan(`
name: free-slow-host
hosts: { local: 3 }
repetitions: 2
strategy: free
teardown: ["touch global-teardown.marker"]
workloads:
  - name: first
    plugin: shell
    options: { command: 'if [ "$FLEETBENCH_HOST" = host-1 ]; then sleep 2; fi' }
    setup: ["touch first-setup.marker"]
    teardown: ["touch first-teardown.marker"]
  - name: second
    plugin: shell
    options: { command: "true" }
`);

    expect(code).toBe(0);
    expect(view.state).toBe('FINISHED');
    expect(view.counts).toMatchObject({ completed: 12, failed: 0, pending: 0 });
    const slowSecondRep = task(view, 'host-1::first::2');
    for (const host of ['host-2', 'host-3']) {
      // In lockstep no host starts repetition 2 before the slowest host ends repetition 1.
      expect(finishedAt(task(view, `${host}::second::2`))).toBeLessThan(startedAt(slowSecondRep));
    }
    for (const h of HOSTS) {
      for (const m of ['first-setup.marker', 'first-teardown.marker', 'global-teardown.marker'])
        expect(marker(h, m), `${h} ${m}`).toBe(true);
    }
  });

  it('stops gracefully mid-run: workload commands cancelled, every teardown runs, ABORTED', async () => {
    const path = await t.cli.writePlan(
      'plan.yaml',
      `
name: free-stop
hosts: { local: 3 }
repetitions: 2
strategy: free
teardown: ["touch global-teardown.marker"]
workloads:
  - name: long
    plugin: shell
    options: { command: 'echo $$ > "$FLEETBENCH_HOST.pid"; sleep 60' }
    teardown: ["touch workload-teardown.marker"]
  - name: never
    plugin: shell
    options: { command: "true" }
`,
    );
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', path]);
    const runId = await t.engine.runId;
    const pidFile = (h: string) => join(hostWork(t.cli.dataDir, h), `${h}.pid`);
    await until(() => HOSTS.every((h) => existsSync(pidFile(h))), {
      what: 'every host to run the workload',
      timeoutMs: 20_000,
      intervalMs: 25,
    });

    const stop = await t.cli.run('stop', runId);
    const exit = await t.engine.exited;

    expect(stop.code).toBe(0);
    expect(exit.code).toBe(1);
    const view = await t.cli.runJson<RunView>('show', runId);
    expect(view.state).toBe('ABORTED');
    expect(view.counts).toMatchObject({ cancelled: 3, completed: 0, failed: 0, pending: 9 });
    for (const h of HOSTS) {
      expect(marker(h, 'workload-teardown.marker'), h).toBe(true);
      expect(marker(h, 'global-teardown.marker'), h).toBe(true);
    }
    expect(view.tasks.filter((t) => t.workload === 'never').map((t) => t.status)).toEqual(
      Array(6).fill('PENDING'),
    );
    for (const h of HOSTS) expect(alive(Number(readFileSync(pidFile(h), 'utf8')))).toBe(false);
  });

  it('fail-fast: one host failing starts no other step on any host, tears down everywhere, ends FAILED; resume completes the rest once', async () => {
    const plan = `
name: free-fail-fast
hosts: { local: 3 }
repetitions: 2
strategy: free
failurePolicy: { failFast: true }
teardown: ["touch global-teardown.marker"]
workloads:
  - name: first
    plugin: shell
    options:
      command: |
        if [ "$FLEETBENCH_HOST" = host-1 ]; then
          if [ ! -f failed-once ]; then touch failed-once; exit 9; fi
        else
          sleep 2
        fi
    teardown: ["touch first-teardown.marker"]
  - name: second
    plugin: shell
    options: { command: "true" }
`;
    const { code, view } = await runPlan(plan);

    expect(code).toBe(1);
    expect(view.state).toBe('FAILED');
    expect(view.reason).toMatch(/^fail-fast: /);
    const statuses = (w: string, rep: number) => HOSTS.map((h) => task(view, `${h}::${w}::${rep}`).status);
    // host-2 and host-3 were already running repetition 1: it finishes, nothing else starts.
    expect(statuses('first', 1)).toEqual(['FAILED', 'COMPLETED', 'COMPLETED']);
    expect(statuses('first', 2)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect([...statuses('second', 1), ...statuses('second', 2)]).toEqual(Array(6).fill('PENDING'));
    for (const h of HOSTS) {
      expect(marker(h, 'first-teardown.marker'), h).toBe(true);
      expect(marker(h, 'global-teardown.marker'), h).toBe(true);
    }

    const resumed = await t.cli.run('resume', view.runId);
    const after = await t.cli.runJson<RunView>('show', view.runId);

    expect(resumed.code).toBe(0);
    expect(after.state).toBe('FINISHED');
    expect(after.counts).toMatchObject({ completed: 12, failed: 0, pending: 0 });
    // What had completed was not run again.
    for (const h of ['host-2', 'host-3'])
      expect(task(after, `${h}::first::1`).startedAt).toBe(task(view, `${h}::first::1`).startedAt);
  });
});
