import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireStep } from '../../lib/app/expire-step.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { runCommand } from '../../lib/app/run-command.js';
import { WorkflowErrorName } from '../../lib/core/errors.js';
import type { JournalRepo } from '../../lib/core/ports.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

const DEADLINE = 630;
const WHY = `no result within ${DEADLINE}s (the task timeout plus the stop timeout)`;
/** dynaliteDeps' clock. */
const NOW = '2026-11-23T10:00:00.000Z';

/** The real journal, except that every write of a host's answer fails as on a full disk. */
function unwritable(journal: JournalRepo): JournalRepo {
  const writes = new Set(['recordTaskResult', 'recordHostOutcome', 'countAnswer', 'recountHostOutcomes']);
  return new Proxy(journal, {
    get(target, property) {
      if (typeof property === 'string' && writes.has(property)) {
        return async () => {
          throw new Error('ENOSPC: no space left on device');
        };
      }
      return Reflect.get(target, property, target).bind(target);
    },
  });
}

describe('Use case: expireStep', () => {
  it('fails the hosts that never answered with the deadline as reason, and keeps the answers that came', async () => {
    // Prepare: a repetition in flight; host-1 succeeded, host-2 failed, host-3 never answered
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const commandId = 'a1.repetition.w.1';
    await onInvocationStatus(deps, { runId, commandId, hostId: 'host-1', status: 'Success', exitCode: 0 });
    await onInvocationStatus(deps, { runId, commandId, hostId: 'host-2', status: 'Failed', exitCode: 3 });
    recorded.callbacks.splice(0);

    // Act
    await expireStep(deps, { runId, commandId, taskToken: 'rep-1', deadlineSeconds: DEADLINE });

    // Assess
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => [t.host, t.status, t.error])).toEqual([
      ['host-1', 'COMPLETED', undefined],
      ['host-2', 'FAILED', 'exit code 3'],
      ['host-3', 'FAILED', WHY],
    ]);
    expect(tasks[2]).toMatchObject({ errorType: 'HOST', finishedAt: NOW });
    expect(recorded.cancels.map((c) => c.commandId)).toEqual([commandId]);
    expect(recorded.cancels[0]?.hosts).toEqual(expect.arrayContaining(['host-3']));
    expect(await deps.journal.getCommand(runId, commandId)).toMatchObject({
      status: 'DONE',
      failedHosts: ['host-2', 'host-3'],
      silentHosts: [],
    });
    // The step closed on the recorded outcomes: its first answer is the failure policy's (2 of 3 is allowed).
    expect(recorded.callbacks[0]).toEqual({
      token: 'rep-1',
      outcome: 'success',
      detail: { commandId, failedHosts: ['host-2', 'host-3'] },
    });
  });

  it('records the deadline as the outcome of every silent host of a step that is not a repetition', async () => {
    // Prepare: the workload's teardown is in flight and no host answered
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    await runCommand(deps, { runId, phase: 'teardown', workload: 'w', taskToken: 'teardown' });
    recorded.callbacks.splice(0);

    // Act
    await expireStep(deps, {
      runId,
      commandId: 'a1.teardown.w',
      taskToken: 'teardown',
      deadlineSeconds: DEADLINE,
    });

    // Assess
    const command = await deps.journal.getCommand(runId, 'a1.teardown.w');
    expect(command?.status).toBe('DONE');
    for (const host of HOSTS) expect(command?.outcomes[host]).toMatchObject({ status: 'Failed', error: WHY });
    expect(recorded.cancels).toEqual([{ commandId: 'a1.teardown.w', hosts: HOSTS }]);
    // A teardown's failures never stop the run: the step goes on to the global teardown.
    expect(recorded.callbacks[0]).toMatchObject({ token: 'teardown', outcome: 'success' });
  });

  it('fails the step with the deadline as reason when the journal cannot be written', async () => {
    // Prepare: a repetition in flight, then the disk fills up
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const full = { ...deps, journal: unwritable(db.journal) };
    recorded.callbacks.splice(0);

    // Act
    await expireStep(full, {
      runId,
      commandId: 'a1.repetition.w.1',
      taskToken: 'rep-1',
      deadlineSeconds: DEADLINE,
    });

    // Assess
    expect(recorded.callbacks).toEqual([
      { token: 'rep-1', outcome: 'failure', detail: { error: WorkflowErrorName.StepFailed, cause: WHY } },
    ]);
    expect(recorded.cancels).toEqual([{ commandId: 'a1.repetition.w.1', hosts: HOSTS }]);
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => t.status)).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
  });

  it('fails the step with the deadline as reason when the journal has no such command', async () => {
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    recorded.callbacks.splice(0);

    await expireStep(deps, {
      runId,
      commandId: 'a1.repetition.w.1',
      taskToken: 'rep-1',
      deadlineSeconds: DEADLINE,
    });

    expect(recorded.callbacks).toEqual([
      { token: 'rep-1', outcome: 'failure', detail: { error: WorkflowErrorName.StepFailed, cause: WHY } },
    ]);
    expect(recorded.cancels).toEqual([]);
  });

  it('resolves when the token is refused because the step was already answered', async () => {
    // Prepare: Step Functions refuses a token that was completed already
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const refusing = {
      ...deps,
      callbacks: {
        success: async () => undefined,
        failure: async () => {
          throw new Error('TaskTimedOut: Task Timed Out');
        },
      },
    };

    // Act
    const expiring = expireStep(refusing, {
      runId,
      commandId: 'a1.repetition.w.1',
      taskToken: 'rep-1',
      deadlineSeconds: DEADLINE,
    });

    // Assess
    await expect(expiring).resolves.toBeUndefined();
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => t.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
  });
});
