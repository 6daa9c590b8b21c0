/**
 * What a `kill -9` of the engine leaves behind, and what `resume` does with it: a teardown that started and
 * did not finish runs again, and a command that wandered out of its host's directory is found by the
 * marker in its environment and stopped before anything of the run starts again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { hostWork } from '../support/host-work.js';
import { isPidAlive as alive, until } from '../support/processes.js';

const t = engineFixture();
const HOSTS = ['host-1', 'host-2'];
const hostFile = (host: string, file: string) => join(hostWork(t.cli.dataDir, host), file);
const show = (runId: string) => t.cli.runJson<RunView>('show', runId);
const waitFor = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>) =>
  until(check, { what, timeoutMs: 30_000, intervalMs: 25 });
const lines = (host: string, file: string) =>
  existsSync(hostFile(host, file)) ? readFileSync(hostFile(host, file), 'utf8').trim().split('\n') : [];

async function crashWhen(plan: string, reached: () => boolean): Promise<string> {
  const path = await t.cli.writePlan('plan.yaml', plan);
  t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', path]);
  const runId = await t.engine.runId;
  await waitFor('the kill point', reached);
  t.engine.child.kill('SIGKILL');
  await t.engine.exited;
  return runId;
}

describe('Resume after kill -9 during a workload teardown', () => {
  it.each([
    'lockstep',
    'free',
  ])('runs the interrupted teardown again to completion (%s), though every task had completed', async (strategy) => {
    const runId = await crashWhen(
      `
name: teardown-crash
hosts: { local: 2 }
repetitions: 2
strategy: ${strategy}
workloads:
  - name: w
    plugin: shell
    options: { command: 'echo "{\\"ok\\": 1}"' }
    setup: ["echo setup >> setup.log"]
    teardown: ["echo started >> teardown.log; sleep 2; echo finished >> teardown.log"]
`,
      () => HOSTS.every((h) => lines(h, 'teardown.log').includes('started')),
    );
    const before = await show(runId);

    const resumed = await t.cli.run('resume', runId);
    const after = await show(runId);

    expect(before.counts).toMatchObject({ completed: 4 });
    expect(before.state).toBe('FAILED');
    expect(resumed.code).toBe(0);
    expect(after.state).toBe('FINISHED');
    for (const h of HOSTS) {
      // The killed first copy never finished; the second ran to completion. The setup did not run again.
      expect(lines(h, 'teardown.log')).toEqual(['started', 'started', 'finished']);
      expect(lines(h, 'setup.log')).toEqual(['setup']);
    }
    expect(after.tasks.every((task) => task.attempts === 1)).toBe(true);
  });

  it('does not run a teardown that finished before the crash again', async () => {
    const path = await t.cli.writePlan(
      'plan.yaml',
      `
name: teardown-once
hosts: { local: 1 }
repetitions: 1
workloads:
  - name: first
    plugin: shell
    options: { command: 'echo "{\\"ok\\": 1}"' }
    teardown: ["echo torn >> first.log"]
  - name: second
    plugin: shell
    options: { command: 'sleep 2' }
`,
    );
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', path]);
    const runId = await t.engine.runId;
    await waitFor('the second workload to run', async () =>
      (await show(runId)).tasks.some((task) => task.workload === 'second' && task.status === 'RUNNING'),
    );
    t.engine.child.kill('SIGKILL');
    await t.engine.exited;

    const failed = await t.cli.run('status', runId);
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['resume', runId]);
    const going = await waitFor('the resumed run to run the second workload', async () => {
      const r = await t.cli.run('status', runId, '--json');
      const view = JSON.parse(r.stdout) as RunView;
      return view.attempt === 2 && view.state === 'RUNNING_WORKLOADS' ? { code: r.code, view } : false;
    });
    const resumed = await t.engine.exited;

    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAILED — engine \S+ is gone; resume with/);
    // While the resumed run goes on, status shows no reason and no finish time of the attempt before.
    expect(going.code).toBe(0);
    expect(going.view).toMatchObject({ reason: null, finishedAt: null });
    expect(resumed.code).toBe(0);
    expect(lines('host-1', 'first.log')).toEqual(['torn']);
  });
});

describe('Leftovers of a dead engine', () => {
  it('stops a command that left its host directory before resume starts the task again', async () => {
    const runId = await crashWhen(
      `
name: wanderer
hosts: { local: 2 }
repetitions: 1
workloads:
  - name: w
    plugin: shell
    options:
      command: |
        log="$PWD/incarnations.log"
        cd /tmp
        prev=$(head -n 1 "$log" 2>/dev/null | cut -d ' ' -f 1)
        state=$(cut -d ' ' -f 3 "/proc/$prev/stat" 2>/dev/null)
        if [ -n "$prev" ] && [ -n "$state" ] && [ "$state" != Z ]; then echo overlap >> "$log"; fi
        echo "$$ $FLEETBENCH_ATTEMPT" >> "$log"
        sleep 5
        echo "{\\"ok\\": 1}"
`,
      () => HOSTS.every((h) => lines(h, 'incarnations.log').length === 1),
    );
    const first = HOSTS.map((h) => Number(lines(h, 'incarnations.log')[0]?.split(' ')[0]));
    expect(first.every(alive)).toBe(true);

    const resumed = await t.cli.run('resume', runId);
    const after = await show(runId);

    expect(resumed.code).toBe(0);
    expect(after.state).toBe('FINISHED');
    expect(first.some(alive)).toBe(false);
    for (const h of HOSTS) {
      // Two incarnations, attempts 1 and 2, and the second never saw the first alive.
      expect(lines(h, 'incarnations.log').map((l) => l.split(' ')[1])).toEqual(['1', '2']);
    }
  });
});
