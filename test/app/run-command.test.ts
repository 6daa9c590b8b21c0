import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { planRun } from '../../lib/app/plan-run.js';
import { commandIdFor, runCommand } from '../../lib/app/run-command.js';
import { StepFailedError } from '../../lib/core/errors.js';
import type { CommandRequest } from '../../lib/core/ports.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { fakeDeps } from '../support/fake-deps.js';

const HOSTS = ['host-1', 'host-2', 'host-3'];

let db: TestDynalite;
let runs = 0;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/** A planned free run on three hosts whose global setup is done; every SSM-like request is recorded. */
async function freeRun(failurePolicy: { failFast?: boolean; maxFailedPercent?: number }) {
  runs += 1;
  const runId = `free-20261123-100000-${runs.toString(36).padStart(4, '0')}`;
  const { deps, recorded } = fakeDeps(db);
  const sent: CommandRequest[] = [];
  const full = {
    ...deps,
    hosts: {
      resolve: async () => HOSTS.map((h) => ({ id: h, name: h })),
      checkConnectivity: async (hs: readonly { id: string; name: string }[]) => ({
        reachable: [...hs],
        unreachable: [],
      }),
    },
    runner: {
      ...deps.runner,
      send: async (request: CommandRequest) => {
        sent.push(request);
        return { providerIds: [request.commandId] };
      },
    },
  };
  const planned = await planRun(full, {
    runId,
    plan: {
      name: 'free',
      hosts: { local: HOSTS },
      strategy: 'free',
      repetitions: 2,
      failurePolicy,
      workloads: [
        { name: 'w', plugin: 'shell', options: { command: 'bench' }, teardown: ['rm -rf scratch'] },
      ],
    },
  });
  await runCommand(full, { runId, phase: 'globalSetup', taskToken: 'setup' });
  /** Runs one host's repetition and reports its result. */
  const repetition = async (host: string, rep: number, status: 'Success' | 'Failed') => {
    const out = await runCommand(full, {
      runId,
      phase: 'repetition',
      workload: 'w',
      rep,
      host,
      taskToken: `${host}-${rep}`,
    });
    await onInvocationStatus(full, {
      runId,
      commandId: commandIdFor(1, 'repetition', 'w', rep, host),
      hostId: host,
      status,
      exitCode: status === 'Success' ? 0 : 3,
    });
    return out;
  };
  return { runId, planned, sent, deps: full, repetition, recorded };
}

describe('Use case: runCommand (strategy free)', () => {
  it('hands the workflow the strategy, the hosts to iterate and how many at once', async () => {
    const { planned } = await freeRun({});

    expect(planned).toMatchObject({ strategy: 'free', hosts: HOSTS, hostConcurrency: 3 });
  });

  it("sends a host's step to that host alone, as a command of its own", async () => {
    const { sent, repetition } = await freeRun({});

    await repetition('host-2', 1, 'Success');
    await repetition('host-3', 1, 'Success');

    expect(sent.slice(-2).map((r) => [r.commandId, r.hosts.map((h) => h.name)])).toEqual([
      ['a1.repetition.w.1.host-2', ['host-2']],
      ['a1.repetition.w.1.host-3', ['host-3']],
    ]);
  });

  it("applies maxFailedPercent per host: another host's failure ends nothing here, its own ends its workload", async () => {
    const { repetition } = await freeRun({ maxFailedPercent: 50 });

    await repetition('host-1', 1, 'Failed');
    await expect(repetition('host-2', 1, 'Success')).resolves.toMatchObject({
      commandId: 'a1.repetition.w.1.host-2',
    });
    await expect(repetition('host-2', 2, 'Success')).resolves.toMatchObject({
      commandId: 'a1.repetition.w.2.host-2',
    });
    await expect(repetition('host-1', 2, 'Success')).rejects.toBeInstanceOf(StepFailedError);
  });

  it('tears down on a host only the workloads that started there', async () => {
    const { runId, deps, repetition } = await freeRun({});
    await repetition('host-1', 1, 'Success');
    const teardown = (host: string) =>
      runCommand(deps, { runId, phase: 'teardown', workload: 'w', host, taskToken: `td-${host}` });

    await expect(teardown('host-2')).resolves.toEqual({
      commandId: null,
      skipped: 'workload w did not start',
    });
    await expect(teardown('host-1')).resolves.toEqual({ commandId: 'a1.teardown.w.host-1', hosts: 1 });
  });
});

describe('Use case: runCommand (a retried step)', () => {
  const step = (runId: string, taskToken: string) =>
    ({ runId, phase: 'repetition', workload: 'w', rep: 1, host: 'host-1', taskToken }) as const;
  const answer = (runId: string) => ({
    runId,
    commandId: commandIdFor(1, 'repetition', 'w', 1, 'host-1'),
    hostId: 'host-1',
    status: 'Success' as const,
    exitCode: 0,
  });

  it('hands the retry’s token to whoever completes the command, and sends nothing again', async () => {
    // Prepare: the first attempt sent the command; Step Functions retried the state with a new token.
    const { runId, deps, sent, recorded } = await freeRun({});
    await runCommand(deps, step(runId, 'first-attempt'));

    // Act
    await runCommand(deps, step(runId, 'retry'));
    await onInvocationStatus(deps, answer(runId));

    // Assess
    expect(sent.filter((r) => r.commandId === 'a1.repetition.w.1.host-1')).toHaveLength(1);
    expect(recorded.callbacks.at(-1)).toMatchObject({ token: 'retry', outcome: 'success' });
    expect(recorded.callbacks.map((c) => c.token)).not.toContain('first-attempt');
  });

  it('answers the retry’s token at once when the command ended before the retry', async () => {
    // Prepare: the command ended, its answer given to the first attempt's (discarded) token.
    const { runId, deps, recorded } = await freeRun({});
    await runCommand(deps, step(runId, 'first-attempt'));
    await onInvocationStatus(deps, answer(runId));

    // Act
    await runCommand(deps, step(runId, 'retry'));

    // Assess
    expect(recorded.callbacks.at(-1)).toEqual({
      token: 'retry',
      outcome: 'success',
      detail: { commandId: 'a1.repetition.w.1.host-1', failedHosts: [] },
    });
    expect(recorded.callbacks.map((c) => c.token)).toEqual(['setup', 'first-attempt', 'retry']);
  });
});
