/**
 * The one stop path, end to end on the local target: a real engine process, real host workers and real
 * benchmark processes, stopped from another "terminal" (the CLI in this process).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { hostWork as runWorkDir } from '../support/host-work.js';
import { isPidAlive as alive, until } from '../support/processes.js';

/** Waits for `check` (engine processes take a few seconds to reach a point). */
const waitFor = <T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
) => until(check, { what, timeoutMs, intervalMs: 25 });

const t = engineFixture();

async function start(plan: string): Promise<string> {
  const path = await t.cli.writePlan('plan.yaml', plan);
  t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', path]);
  return t.engine.runId;
}

const show = (runId: string) => t.cli.runJson<RunView>('show', runId);
const hostWork = (host: string) => runWorkDir(t.cli.dataDir, host);
const HOSTS = ['host-1', 'host-2', 'host-3'];

/** Pids a workload recorded for itself and its children, per host. */
function recordedPids(): number[] {
  return HOSTS.flatMap((h) => {
    const dir = hostWork(h);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(join(dir, f), 'utf8')));
  });
}

describe('Stop, end to end', () => {
  it('stops a long repetition on 3 hosts: processes gone within 1 s, teardowns run everywhere, ABORTED', async () => {
    const runId = await start(`
name: stop-long
hosts: { local: 3 }
repetitions: 2
teardown: ["echo done > global-teardown.marker"]
workloads:
  - name: long
    plugin: shell
    options:
      command: |
        echo $$ > main.pid
        sleep 60 & echo $! > child.pid
        sleep 60
    teardown: ["echo done > workload-teardown.marker"]
`);
    await waitFor('every host to run the workload', () => recordedPids().length === 6);
    const pids = recordedPids();
    expect(pids.every(alive)).toBe(true);

    const stop = await t.cli.run('stop', runId);
    await waitFor('the workload processes to end', () => pids.every((p) => !alive(p)), 5_000);
    const goneAt = Date.now();
    const exit = await t.engine?.exited;

    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/Stop requested for run/);
    expect(exit?.code).toBe(1);
    for (const h of HOSTS) {
      expect(existsSync(join(hostWork(h), 'workload-teardown.marker'))).toBe(true);
      expect(existsSync(join(hostWork(h), 'global-teardown.marker'))).toBe(true);
    }
    const view = await show(runId);
    // Measured from the moment the request was recorded, the point from which the engine can act on it.
    expect(goneAt - Date.parse(view.stopRequest?.requestedAt ?? '')).toBeLessThan(1_000);
    expect(view.state).toBe('ABORTED');
    expect(view.states.map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'STOPPING_WAIT_RUNNERS',
      'STOPPING_TEARDOWN',
      'ABORTED',
    ]);
    expect(view.counts).toMatchObject({ cancelled: 3, pending: 3, completed: 0, failed: 0 });
    expect(view.stopRequest).toMatchObject({ requestedBy: expect.stringMatching(/^cli:/), force: false });
  });

  it('lets a teardown that is running when the stop arrives finish: nothing is cancelled', async () => {
    const runId = await start(`
name: stop-teardown
hosts: { local: 3 }
teardown:
  - touch teardown.started
  - sleep 1
  - touch teardown.finished
workloads:
  - name: quick
    plugin: shell
    options: { command: "true" }
`);
    await waitFor('the global teardown to start', () =>
      HOSTS.every((h) => existsSync(join(hostWork(h), 'teardown.started'))),
    );
    await t.cli.run('stop', runId);
    await t.engine?.exited;

    for (const h of HOSTS) expect(existsSync(join(hostWork(h), 'teardown.finished'))).toBe(true);
    const view = await show(runId);
    expect(view.counts).toMatchObject({ completed: 3, cancelled: 0, failed: 0 });
    expect(view.states.map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'RUNNING_GLOBAL_TEARDOWN',
      'STOPPING_INTERRUPT_TEARDOWN',
      'ABORTED',
    ]);
  });

  it('kills a command that ignores SIGTERM after the grace period', async () => {
    const runId = await start(`
name: stop-stubborn
hosts: { local: 1 }
workloads:
  - name: stubborn
    plugin: shell
    options:
      command: |
        trap '' TERM
        echo $$ > main.pid
        while :; do sleep 0.1; done
`);
    await waitFor('the workload to start', () => existsSync(join(hostWork('host-1'), 'main.pid')));
    const pid = Number(readFileSync(join(hostWork('host-1'), 'main.pid'), 'utf8'));
    await t.cli.run('stop', runId);
    await t.engine?.exited;

    expect(alive(pid)).toBe(false);
    const view = await show(runId);
    expect(view.state).toBe('ABORTED');
    expect(view.tasks[0]?.status).toBe('CANCELLED');
  });

  it('ends STOP_FAILED naming a host that cannot confirm the stop within timeouts.stop', async () => {
    // host-2 freezes its own worker (the command's parent), so it can never report the cancel.
    const runId = await start(`
name: stop-silent
hosts: { local: 3 }
timeouts: { stop: 2s }
teardown: ["echo done > global-teardown.marker"]
workloads:
  - name: freeze
    plugin: shell
    options:
      command: |
        echo $$ > main.pid
        if [ "$FLEETBENCH_HOST" = host-2 ]; then kill -STOP $PPID; fi
        sleep 60
`);
    await waitFor('every host to run the workload', () => recordedPids().length === 3);
    await t.cli.run('stop', runId);
    await t.engine?.exited;

    const view = await show(runId);
    expect(view.state).toBe('STOP_FAILED');
    expect(view.reason).toBe('stop not confirmed by: host-2');
    expect(view.tasks.find((t) => t.host === 'host-2')?.status).toBe('CANCELLED');
    for (const h of HOSTS) expect(existsSync(join(hostWork(h), 'global-teardown.marker'))).toBe(true);
  });

  it('force-stops at once: workload processes killed, no teardown, ABORTED with the reason', async () => {
    const runId = await start(`
name: stop-force
hosts: { local: 2 }
teardown: ["echo done > global-teardown.marker"]
workloads:
  - name: long
    plugin: shell
    options: { command: "echo $$ > main.pid; sleep 60" }
`);
    await waitFor('every host to run the workload', () => recordedPids().length === 2);
    const pids = recordedPids();
    const stop = await t.cli.run('stop', runId, '--force', '--reason', 'host maintenance');
    const exit = await t.engine?.exited;

    expect(stop.code).toBe(0);
    expect(exit?.code).toBe(1);
    await waitFor('the workload processes to end', () => pids.every((p) => !alive(p)), 5_000);
    for (const h of ['host-1', 'host-2'])
      expect(existsSync(join(hostWork(h), 'global-teardown.marker'))).toBe(false);
    const view = await show(runId);
    expect(view.state).toBe('ABORTED');
    expect(view.reason).toMatch(/force-stopped by cli:\S+; teardown skipped/);
    expect(view.stopRequest).toMatchObject({ force: true, reason: 'host maintenance' });
    expect(view.counts).toMatchObject({ cancelled: 2, running: 0 });
  });

  it('rejects a stop for an unknown run and for a finished run, and records a repeated stop once', async () => {
    const unknown = await t.cli.run('stop', 'nope-20260101-000000-abcd');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/run nope-20260101-000000-abcd not found/);

    const runId = await start(`
name: stop-twice
hosts: { local: 1 }
workloads:
  - name: long
    plugin: shell
    options: { command: "echo $$ > main.pid; sleep 60" }
`);
    await waitFor('the workload to start', () => existsSync(join(hostWork('host-1'), 'main.pid')));
    const first = await t.cli.run('stop', runId, '--reason', 'first');
    const second = await t.cli.run('stop', runId, '--reason', 'second');
    const afterTwo = await show(runId);
    await t.engine?.exited;
    const finished = await t.cli.run('stop', runId);
    const final = await show(runId);

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/A stop was already requested .* nothing changed/);
    expect(afterTwo.stopRequest?.reason).toBe('first');
    expect(finished.code).toBe(2);
    expect(finished.stderr).toMatch(/already ended ABORTED: nothing to stop/);
    expect(final.stopRequest).toEqual(afterTwo.stopRequest);
    expect(final.states.filter((s) => s.to.startsWith('STOPPING')).length).toBe(2);
  });
});

describe('Ctrl+C in `fleetbench run` (SIGINT to the engine process)', () => {
  const PLAN = `
name: ctrl-c
hosts: { local: 2 }
teardown: ["echo done > global-teardown.marker"]
workloads:
  - name: long
    plugin: shell
    options: { command: "echo $$ > main.pid; sleep 60" }
`;

  it('warns on the first press, stops gracefully on the second, ends ABORTED after teardown, and exits by SIGINT (130)', async () => {
    const runId = await start(PLAN);
    await waitFor('the workload to start', () => recordedPids().length === 2);

    t.engine?.child.kill('SIGINT');
    const armed = await waitFor('STOP_ARMED', async () => {
      const v = await show(runId);
      return v.state === 'STOP_ARMED' ? v : false;
    });
    t.engine?.child.kill('SIGINT');
    const exit = await t.engine?.exited;

    expect(t.engine?.stderr()).toContain('Press Ctrl+C again within 5s to stop the run');
    expect(t.engine?.stderr()).toContain('Stopping: cancelling workloads, then tearing down');
    expect(armed.states.at(-1)).toMatchObject({
      from: 'RUNNING_WORKLOADS',
      to: 'STOP_ARMED',
      reason: 'first Ctrl+C',
    });
    // As a shell reports a command Ctrl+C stopped, and as npx reports it (see the npx test in unix-cli).
    expect(exit).toEqual({ code: null, signal: 'SIGINT' });
    expect(t.engine?.stdout()).toMatch(/Run \S+ ABORTED/);
    const view = await show(runId);
    expect(view.state).toBe('ABORTED');
    expect(view.stopRequest?.requestedBy).toMatch(/^ctrl-c:/);
    expect(view.states.map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'STOP_ARMED',
      'STOPPING_WAIT_RUNNERS',
      'STOPPING_TEARDOWN',
      'ABORTED',
    ]);
    for (const h of ['host-1', 'host-2'])
      expect(existsSync(join(hostWork(h), 'global-teardown.marker'))).toBe(true);
  });

  it('exits at once by SIGINT (130) on the third press and says how to clean up and continue', async () => {
    const runId = await start(
      PLAN.replace('teardown: [', () => 'teardown: ["echo $$ > teardown.pid; sleep 30", '),
    );
    await waitFor('the workload to start', () => recordedPids().length === 2);

    t.engine?.child.kill('SIGINT');
    await waitFor('the arm', () => t.engine?.stderr().includes('Press Ctrl+C again'));
    t.engine?.child.kill('SIGINT');
    await waitFor('the teardown to start', () =>
      ['host-1', 'host-2'].every((h) => existsSync(join(hostWork(h), 'teardown.pid'))),
    );
    t.engine?.child.kill('SIGINT');
    const exit = await t.engine?.exited;

    expect(exit).toEqual({ code: null, signal: 'SIGINT' });
    expect(t.engine?.stderr()).toContain(`fleetbench stop --force ${runId}`);
    expect(t.engine?.stderr()).toContain(`fleetbench resume ${runId}`);
    // The engine is gone mid-teardown: the next command notices, stops what it left, and the run can be resumed.
    const leftovers = recordedPids();
    expect(leftovers.some(alive)).toBe(true);
    const view = await show(runId);
    expect(view.state).toBe('FAILED');
    expect(view.reason).toMatch(/is gone; resume with/);
    await waitFor('the leftover processes to be stopped', () => leftovers.every((p) => !alive(p)), 5_000);
    const cleanUp = await t.cli.run('stop', '--force', runId);
    expect(cleanUp.code).toBe(0);
    expect(cleanUp.stdout).toContain('already ended FAILED; nothing of it is left running');
  });
});
