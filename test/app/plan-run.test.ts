import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeRun } from '../../lib/app/finalize-run.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { planRun } from '../../lib/app/plan-run.js';
import { runCommand } from '../../lib/app/run-command.js';
import { ConflictError, RunStateError } from '../../lib/core/errors.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: planRun', () => {
  it('records a new run: META, the catalog entry in INIT, every task PENDING, and run.started', async () => {
    // Act
    const { runId, planned, deps, recorded } = await plannedRun(db, 'lockstep', {}, { globalSetup: false });

    // Assess
    expect(planned).toEqual({
      runId,
      attempt: 1,
      workloads: [{ name: 'w', reps: [1, 2] }],
      strategy: 'lockstep',
      hosts: [],
      hostConcurrency: 1,
    });
    expect(await deps.journal.getRun(runId)).toMatchObject({
      attempt: 1,
      hosts: HOSTS.map((h) => ({ name: h })),
    });
    expect(await deps.catalog.get(runId)).toMatchObject({
      state: 'INIT',
      hosts: HOSTS,
      counts: { pending: 6 },
    });
    expect((await deps.journal.listTasks(runId)).map((t) => t.status)).toEqual(Array(6).fill('PENDING'));
    expect(recorded.events.map((e) => e.type)).toContain('dev.fleetbench.run.started');
  });

  it('refuses a run id that already exists', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep', {}, { globalSetup: false });
    const again = planRun(deps, {
      runId,
      plan: {
        name: 'again',
        hosts: { local: HOSTS },
        workloads: [{ name: 'w', plugin: 'shell', options: { command: 'x' } }],
      },
    });

    await expect(again).rejects.toBeInstanceOf(ConflictError);
  });

  it('resumes an ended run as its next attempt, iterating only the repetitions with work left', async () => {
    // Prepare: repetition 1 completes everywhere, then the run fails
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    for (const host of HOSTS) {
      await onInvocationStatus(deps, {
        runId,
        commandId: 'a1.repetition.w.1',
        hostId: host,
        status: 'Success',
        exitCode: 0,
      });
    }
    await finalizeRun(deps, { runId, outcome: { error: { Error: 'States.Timeout', Cause: 'x' } } });

    // Act
    const resumed = await planRun(deps, { resume: { runId } });

    // Assess
    expect(resumed).toMatchObject({ runId, attempt: 2, workloads: [{ name: 'w', reps: [2] }] });
    expect(await deps.catalog.get(runId)).toMatchObject({ state: 'INIT' });
  });

  it('refuses to resume a run that has not ended', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');

    await expect(planRun(deps, { resume: { runId } })).rejects.toBeInstanceOf(RunStateError);
  });
});
