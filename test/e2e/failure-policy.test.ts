/**
 * The failure policy end to end: fail-fast, maxFailedPercent per repetition, per-workload timeouts,
 * unreachable hosts, and a host that goes away mid-run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { CliHarness } from '../support/cli.js';
import { hostWork } from '../support/host-work.js';

let cli: CliHarness;

beforeEach(async () => {
  cli = await CliHarness.create();
});
afterEach(async () => cli.dispose());

async function runPlan(plan: string): Promise<{ code: number; stdout: string; view: RunView }> {
  const path = await cli.writePlan('plan.yaml', plan);
  const result = await cli.run('run', path);
  const runId = /Started run (\S+)/.exec(result.stdout)?.[1];
  if (!runId) throw new Error(`no run id in: ${result.stdout}${result.stderr}`);
  return { ...result, view: await cli.runJson<RunView>('show', runId) };
}

const marker = (host: string, file: string) => existsSync(join(hostWork(cli.dataDir, host), file));

describe('Failure policy, end to end', () => {
  it('fail-fast: stops scheduling after the first failed task, still tears down, ends FAILED', async () => {
    const { code, view } = await runPlan(`
name: fail-fast
hosts: { local: 2 }
repetitions: 3
failurePolicy: { failFast: true }
teardown: ["touch global-teardown.marker"]
workloads:
  - name: first
    plugin: shell
    options: { command: 'if [ "$FLEETBENCH_REP" = 2 ] && [ "$FLEETBENCH_HOST" = host-1 ]; then exit 9; fi' }
    teardown: ["touch first-teardown.marker"]
  - name: second
    plugin: shell
    options: { command: "true" }
`);
    expect(code).toBe(1);
    expect(view.state).toBe('FAILED');
    expect(view.reason).toMatch(/^fail-fast: /);
    const byWorkload = (w: string) => view.tasks.filter((t) => t.workload === w).map((t) => t.status);
    expect(byWorkload('first')).toEqual([
      'COMPLETED',
      'COMPLETED',
      'FAILED',
      'COMPLETED',
      'PENDING',
      'PENDING',
    ]);
    expect(byWorkload('second')).toEqual(Array(6).fill('PENDING'));
    for (const h of ['host-1', 'host-2']) {
      expect(marker(h, 'first-teardown.marker')).toBe(true);
      expect(marker(h, 'global-teardown.marker')).toBe(true);
    }
  });

  it('maxFailedPercent: a repetition failing on too many hosts ends that workload, the next one runs', async () => {
    const { code, view } = await runPlan(`
name: max-failed
hosts: { local: 4 }
repetitions: 2
failurePolicy: { maxFailedPercent: 25 }
workloads:
  - name: shaky
    plugin: shell
    options: { command: 'case "$FLEETBENCH_HOST" in host-1|host-2) exit 1;; esac' }
  - name: fine
    plugin: shell
    options: { command: "true" }
`);
    expect(code).toBe(1);
    expect(view.state).toBe('FINISHED');
    const shaky = view.tasks.filter((t) => t.workload === 'shaky');
    expect(shaky.filter((t) => t.rep === 1).map((t) => t.status)).toEqual([
      'FAILED',
      'FAILED',
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(shaky.filter((t) => t.rep === 2).map((t) => t.status)).toEqual(Array(4).fill('PENDING'));
    expect(view.tasks.filter((t) => t.workload === 'fine').map((t) => t.status)).toEqual(
      Array(8).fill('COMPLETED'),
    );
  });

  it('times out a task that runs longer than its workload timeout', async () => {
    const { view } = await runPlan(`
name: timeout
hosts: { local: 1 }
workloads:
  - name: slow
    plugin: shell
    timeout: 1s
    options: { command: "sleep 30" }
`);
    expect(view.tasks[0]).toMatchObject({
      status: 'FAILED',
      errorType: 'TIMEOUT',
      error: 'timed out after 1s',
    });
    expect(view.tasks[0]?.durationMs).toBeLessThan(10_000);
  });

  it('skips the tasks of an unreachable host with the reason, names it in the summary, runs the others', async () => {
    const { code, stdout, view } = await runPlan(`
name: unreachable
hosts: { local: 3, unreachable: [host-2] }
repetitions: 2
workloads:
  - name: w
    plugin: shell
    options: { command: "true" }
`);
    expect(code).toBe(0);
    expect(view.state).toBe('FINISHED');
    expect(view.counts).toMatchObject({ completed: 4, skipped: 2 });
    for (const t of view.tasks.filter((x) => x.host === 'host-2')) {
      expect(t).toMatchObject({
        status: 'SKIPPED',
        error: 'host host-2 is unreachable (declared in hosts.unreachable)',
      });
    }
    expect(view.excludedHosts).toEqual([
      { host: 'host-2', reason: 'host host-2 is unreachable (declared in hosts.unreachable)' },
    ]);
    expect(stdout).toContain('excluded host-2: host host-2 is unreachable');
  });

  it('fails the run when requireAllHosts is set and a host is unreachable', async () => {
    const path = await cli.writePlan(
      'plan.yaml',
      `
name: require-all
hosts: { local: 2, unreachable: [host-1] }
requireAllHosts: true
workloads:
  - name: w
    plugin: shell
    options: { command: "true" }
`,
    );
    const result = await cli.run('run', path);
    const runId = /run (\S+) cannot start/.exec(result.stderr)?.[1] ?? '';
    const view = await cli.runJson<RunView>('show', runId);

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /cannot start: requireAllHosts is set and 1 host\(s\) are unreachable: host-1/,
    );
    expect(view.state).toBe('FAILED');
    expect(view.reason).toMatch(/requireAllHosts is set/);
  });

  it('fails the task of a host that goes away mid-run with a clear error, and tears down the others', async () => {
    // host-2 kills its own worker (the command's parent): the local picture of an instance that vanished.
    const { view } = await runPlan(`
name: host-gone
hosts: { local: 3 }
repetitions: 2
teardown: ["touch global-teardown.marker"]
workloads:
  - name: w
    plugin: shell
    options: { command: 'if [ "$FLEETBENCH_HOST" = host-2 ]; then kill -KILL $PPID; sleep 5; fi' }
`);
    const host2 = view.tasks.filter((t) => t.host === 'host-2');
    expect(host2[0]).toMatchObject({ status: 'FAILED', errorType: 'HOST' });
    expect(host2[0]?.error).toMatch(/host-2/);
    expect(host2[1]?.status).toBe('FAILED');
    expect(view.tasks.filter((t) => t.host !== 'host-2').every((t) => t.status === 'COMPLETED')).toBe(true);
    expect(marker('host-1', 'global-teardown.marker')).toBe(true);
    expect(marker('host-3', 'global-teardown.marker')).toBe(true);
  });
});
