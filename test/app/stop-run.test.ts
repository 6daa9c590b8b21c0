import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../lib/app/run-command.js';
import { coordinateStop, requestStop, settleForcedStop } from '../../lib/app/stop-run.js';
import { RunNotFoundError, RunStateError, WorkflowErrorName } from '../../lib/core/errors.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: requestStop', () => {
  it('records the first request once, publishes it, and keeps it against a second graceful one', async () => {
    // Prepare
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');

    // Act
    const first = await requestStop(deps, { runId, requestedBy: 'alice', reason: 'wrong plan' });
    const second = await requestStop(deps, { runId, requestedBy: 'bob', reason: 'me too' });

    // Assess
    expect(first).toMatchObject({ recorded: true, request: { requestedBy: 'alice', force: false } });
    expect(second).toMatchObject({ recorded: false, request: { requestedBy: 'alice' } });
    expect((await deps.catalog.get(runId))?.stopRequest).toMatchObject({ requestedBy: 'alice' });
    expect(recorded.events.filter((e) => e.type.endsWith('stop.requested'))).toHaveLength(1);
  });

  it('lets a forced request escalate a graceful one', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await requestStop(deps, { runId, requestedBy: 'alice' });

    const forced = await requestStop(deps, { runId, requestedBy: 'bob', force: true });

    expect(forced).toMatchObject({ recorded: true, request: { requestedBy: 'bob', force: true } });
  });

  it('refuses a run that ended or does not exist', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await deps.catalog.updateState(runId, 'RUNNING_GLOBAL_SETUP', 'FAILED');

    await expect(requestStop(deps, { runId, requestedBy: 'alice' })).rejects.toBeInstanceOf(RunStateError);
    await expect(
      requestStop(deps, { runId: 'missing-20261123-100000-zzzz', requestedBy: 'alice' }),
    ).rejects.toBeInstanceOf(RunNotFoundError);
  });
});

describe('Use case: coordinateStop', () => {
  it('moves to the stopping state and cancels the repetition in flight, then reports the hosts that stayed silent', async () => {
    // Prepare: a repetition in flight on every host, then a stop request
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    await requestStop(deps, { runId, requestedBy: 'alice' });

    // Act: no host confirms (the fake clock's sleep returns at once, so the wait ends at its deadline)
    let now = Date.parse('2026-11-23T10:00:00.000Z');
    const stop = await coordinateStop(
      {
        ...deps,
        clock: {
          now: () => new Date(now),
          sleep: async (ms) => {
            now += ms;
          },
        },
      },
      runId,
    );

    // Assess
    expect((await deps.catalog.get(runId))?.state).toBe('STOPPING_WAIT_RUNNERS');
    expect(stop.cancelledCommands).toEqual(['a1.repetition.w.1']);
    expect(recorded.cancels).toEqual([{ commandId: 'a1.repetition.w.1', hosts: HOSTS }]);
    expect(stop.unconfirmed).toEqual(HOSTS);
    expect(recorded.callbacks.at(-1)).toMatchObject({
      token: 'rep-1',
      outcome: 'failure',
      detail: { error: WorkflowErrorName.StopRequested },
    });
  });
});

describe('Use case: settleForcedStop', () => {
  it('cancels the tasks left RUNNING and ends the run ABORTED', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    await requestStop(deps, { runId, requestedBy: 'alice', force: true });

    await settleForcedStop(deps, runId);

    const entry = await deps.catalog.get(runId);
    expect(entry).toMatchObject({ state: 'ABORTED', counts: { cancelled: 3, pending: 3, running: 0 } });
    expect(entry?.reason).toContain('force-stopped by alice');
  });
});
