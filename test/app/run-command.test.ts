import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { runCommand } from '../../lib/app/run-command.js';
import { commandIdFor } from '../../lib/core/command-id.js';
import { FailFastError, StepFailedError, StopRequestedError } from '../../lib/core/errors.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/** A planned lockstep run: each repetition is one command for every host, reported host by host. */
async function lockstepRun(failurePolicy: { failFast?: boolean; maxFailedPercent?: number }) {
  const run = await plannedRun(db, 'lockstep', failurePolicy);
  const repetition = async (rep: number, failed: readonly string[] = []) => {
    const out = await runCommand(run.deps, {
      runId: run.runId,
      phase: 'repetition',
      workload: 'w',
      rep,
      taskToken: `rep-${rep}`,
    });
    for (const host of HOSTS) {
      const status = failed.includes(host) ? 'Failed' : 'Success';
      await onInvocationStatus(run.deps, {
        runId: run.runId,
        commandId: commandIdFor({ attempt: 1, phase: 'repetition', workload: 'w', rep }),
        hostId: host,
        status,
        exitCode: status === 'Success' ? 0 : 3,
      });
    }
    return out;
  };
  return { ...run, repetition };
}

/** A planned free run on three hosts whose global setup is done; every SSM-like request is recorded. */
async function freeRun(failurePolicy: { failFast?: boolean; maxFailedPercent?: number }) {
  const { runId, planned, sent, deps: full, recorded } = await plannedRun(db, 'free', failurePolicy);
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
      commandId: commandIdFor({ attempt: 1, phase: 'repetition', workload: 'w', rep, host }),
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

describe('Use case: runCommand (strategy lockstep)', () => {
  it('sends each repetition to every host as one command and marks their tasks RUNNING', async () => {
    // Prepare
    const { runId, sent, deps } = await lockstepRun({});

    // Act
    const out = await runCommand(deps, {
      runId,
      phase: 'repetition',
      workload: 'w',
      rep: 1,
      taskToken: 'rep-1',
    });

    // Assess
    expect(out).toEqual({ commandId: 'a1.repetition.w.1', hosts: 3 });
    expect(sent.at(-1)?.hosts.map((h) => h.name)).toEqual(HOSTS);
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => [t.host, t.status, t.commandId])).toEqual(
      HOSTS.map((h) => [h, 'RUNNING', 'a1.repetition.w.1']),
    );
  });

  it('does not send a retried invocation of a step again once its command was sent', async () => {
    // Prepare: the workload ran, and its teardown was sent once
    const { runId, sent, deps, repetition } = await lockstepRun({});
    await repetition(1);
    const input = { runId, phase: 'teardown', workload: 'w', taskToken: 'td' } as const;
    await runCommand(deps, input);
    const before = sent.length;

    // Act
    const retried = await runCommand(deps, input);

    // Assess
    expect(retried).toEqual({ commandId: 'a1.teardown.w', hosts: 3 });
    expect(sent).toHaveLength(before);
  });

  it('ends the workload for every host once a repetition failed on more than maxFailedPercent', async () => {
    const { repetition } = await lockstepRun({ maxFailedPercent: 50 });

    await repetition(1, ['host-1', 'host-2']);

    await expect(repetition(2)).rejects.toBeInstanceOf(StepFailedError);
  });

  it('keeps going while the failures stay within maxFailedPercent', async () => {
    const { repetition } = await lockstepRun({ maxFailedPercent: 50 });

    await repetition(1, ['host-1']);

    await expect(repetition(2)).resolves.toEqual({ commandId: 'a1.repetition.w.2', hosts: 3 });
  });

  it('starts nothing cancellable after fail-fast fired, and still tears down', async () => {
    const { runId, deps, repetition } = await lockstepRun({ failFast: true });

    await repetition(1, ['host-3']);

    await expect(repetition(2)).rejects.toBeInstanceOf(FailFastError);
    await expect(
      runCommand(deps, { runId, phase: 'teardown', workload: 'w', taskToken: 'td' }),
    ).resolves.toEqual({ commandId: 'a1.teardown.w', hosts: 3 });
  });

  it('refuses a repetition once a stop was requested, and still tears down', async () => {
    const { runId, deps } = await lockstepRun({});
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    await deps.catalog.requestStop(runId, {
      requestedAt: 't',
      requestedBy: 'test',
      reason: 'r',
      force: false,
    });

    await expect(
      runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 2, taskToken: 'rep-2' }),
    ).rejects.toBeInstanceOf(StopRequestedError);
    await expect(
      runCommand(deps, { runId, phase: 'teardown', workload: 'w', taskToken: 'td' }),
    ).resolves.toEqual({ commandId: 'a1.teardown.w', hosts: 3 });
  });
});

describe('Use case: runCommand (a retried step)', () => {
  const step = (runId: string, taskToken: string) =>
    ({ runId, phase: 'repetition', workload: 'w', rep: 1, host: 'host-1', taskToken }) as const;
  const answer = (runId: string) => ({
    runId,
    commandId: commandIdFor({ attempt: 1, phase: 'repetition', workload: 'w', rep: 1, host: 'host-1' }),
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
