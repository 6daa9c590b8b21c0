/**
 * SIGTERM and SIGHUP (a closed terminal, a cancelled CI job, a stopped container) reaching a real engine
 * process: the first is a graceful stop (teardowns run, the run ends ABORTED), the next forces the stop.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { hostWork } from '../support/host-work.js';
import { isPidAlive as alive, until } from '../support/processes.js';

const t = engineFixture();
const HOSTS = ['host-1', 'host-2'];
const workOf = (host: string) => hostWork(t.cli.dataDir, host);
const show = (runId: string) => t.cli.runJson<RunView>('show', runId);
const waitFor = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>) =>
  until(check, { what, timeoutMs: 20_000, intervalMs: 25 });

/** Pids the plan's commands wrote as `<name>.pid` in the hosts' working directories (once written). */
function pids(name: string): number[] {
  return HOSTS.flatMap((h) => {
    const file = join(workOf(h), `${name}.pid`);
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return /^\d+$/.test(text) ? [Number(text)] : [];
  });
}

const PLAN = `
name: signals
hosts: { local: 2 }
repetitions: 1
timeouts: { task: 60s, stop: 10s }
teardown: ["echo done > global-teardown.marker"]
workloads:
  - name: long
    plugin: shell
    options: { command: "echo $$ > work.pid; sleep 60" }
    teardown: [TEARDOWN]
`;

async function start(teardown: string): Promise<string> {
  const path = await t.cli.writePlan(
    'plan.yaml',
    PLAN.replace('TEARDOWN', () => JSON.stringify(teardown)),
  );
  t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', path]);
  const runId = await t.engine.runId;
  await waitFor('the workload to start', () => pids('work').length === 2);
  return runId;
}

describe('Termination signals', () => {
  it.each([
    'SIGTERM',
    'SIGHUP',
  ] as const)('stops gracefully on a first %s: workloads cancelled, teardowns run, ABORTED, exit 1', async (signal) => {
    const runId = await start('echo done > workload-teardown.marker');
    const workload = pids('work');

    t.engine?.child.kill(signal);
    const exit = await t.engine?.exited;

    expect(exit).toEqual({ code: 1, signal: null });
    expect(workload.some(alive)).toBe(false);
    for (const h of HOSTS) {
      expect(existsSync(join(workOf(h), 'workload-teardown.marker'))).toBe(true);
      expect(existsSync(join(workOf(h), 'global-teardown.marker'))).toBe(true);
    }
    const view = await show(runId);
    expect(view.state).toBe('ABORTED');
    expect(view.stopRequest).toMatchObject({ requestedBy: `signal:${signal}`, reason: signal, force: false });
    expect(t.engine?.stderr()).toContain(`${signal}: stopping (teardown still runs)`);
  });

  it('forces the stop on a second signal: the running teardown is killed and the run ends ABORTED', async () => {
    const runId = await start('echo $$ > teardown.pid; sleep 60');

    t.engine?.child.kill('SIGHUP');
    await waitFor('the teardowns to start', () => pids('teardown').length === 2);
    const teardowns = pids('teardown');
    t.engine?.child.kill('SIGTERM');
    const exit = await t.engine?.exited;

    expect(exit).toEqual({ code: 1, signal: null });
    await waitFor('the teardown processes to end', () => !teardowns.some(alive));
    const view = await show(runId);
    expect(view.state).toBe('ABORTED');
    expect(view.stopRequest).toMatchObject({ requestedBy: 'signal:SIGTERM', force: true });
    expect(t.engine?.stderr()).toContain('SIGTERM: forcing the stop');
    expect(readdirSync(workOf('host-1'))).not.toContain('global-teardown.marker');
  });
});
