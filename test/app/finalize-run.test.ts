import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeRun } from '../../lib/app/finalize-run.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { runCommand } from '../../lib/app/run-command.js';
import { requestStop } from '../../lib/app/stop-run.js';
import { WorkflowErrorName } from '../../lib/core/errors.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: finalizeRun', () => {
  it('ends a run whose steps all ran FINISHED, with exact counts and run.finished', async () => {
    // Prepare: both repetitions succeed on every host
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    for (const rep of [1, 2]) {
      await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep, taskToken: `rep-${rep}` });
      for (const host of HOSTS) {
        await onInvocationStatus(deps, {
          runId,
          commandId: `a1.repetition.w.${rep}`,
          hostId: host,
          status: 'Success',
          exitCode: 0,
        });
      }
    }
    await runCommand(deps, { runId, phase: 'globalTeardown', taskToken: 'global-teardown' });

    // Act
    const out = await finalizeRun(deps, { runId });

    // Assess
    expect(out).toMatchObject({ state: 'FINISHED', reason: 'all steps ran', counts: { completed: 6 } });
    expect(await deps.catalog.get(runId)).toMatchObject({ state: 'FINISHED', counts: out.counts });
    expect(recorded.events.at(-1)).toMatchObject({ data: { state: 'FINISHED' } });
  });

  it('ends a run FAILED, never FINISHED, when every step ran but tasks were left PENDING', async () => {
    // Prepare: the workflow reaches Finalize without a repetition having run
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'globalTeardown', taskToken: 'global-teardown' });

    // Act
    const out = await finalizeRun(deps, { runId });

    // Assess
    expect(out).toMatchObject({
      state: 'FAILED',
      reason: `6 task(s) never ran although every step did; resume with \`fleetbench resume ${runId}\``,
      counts: { pending: 6, completed: 0 },
    });
    expect(await deps.catalog.get(runId)).toMatchObject({ state: 'FAILED' });
  });

  it('ends a run FAILED with the error the workflow caught, and fails the tasks that got no result', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });

    const out = await finalizeRun(deps, {
      runId,
      outcome: { error: { Error: WorkflowErrorName.FailFast, Cause: 'host-1 failed w #1' } },
    });

    expect(out).toMatchObject({
      state: 'FAILED',
      reason: 'fail-fast: host-1 failed w #1',
      counts: { failed: 3, pending: 3, running: 0 },
    });
  });

  it('ends a stopped run ABORTED, and cancels the tasks the stop left RUNNING', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    await requestStop(deps, { runId, requestedBy: 'alice' });

    const out = await finalizeRun(deps, { runId });

    expect(out).toMatchObject({ state: 'ABORTED', reason: 'stopped by alice', counts: { cancelled: 3 } });
  });
});
