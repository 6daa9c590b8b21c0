import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeState } from '../../lib/app/controller.js';
import { IllegalTransitionError, RunNotFoundError } from '../../lib/core/errors.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: changeState', () => {
  it('moves the run, appends the audit record and publishes run.state.changed', async () => {
    // Prepare: a run in RUNNING_GLOBAL_SETUP
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    const statesBefore = (await deps.journal.listStates(runId)).length;

    // Act
    const entry = await changeState(deps, runId, { to: 'RUNNING_WORKLOADS', reason: 'global setup done' });

    // Assess
    expect(entry.state).toBe('RUNNING_WORKLOADS');
    expect((await deps.catalog.get(runId))?.state).toBe('RUNNING_WORKLOADS');
    const states = await deps.journal.listStates(runId);
    expect(states).toHaveLength(statesBefore + 1);
    expect(states.at(-1)).toMatchObject({
      seq: statesBefore + 1,
      from: 'RUNNING_GLOBAL_SETUP',
      to: 'RUNNING_WORKLOADS',
      reason: 'global setup done',
    });
    expect(recorded.events.at(-1)).toMatchObject({
      data: { from: 'RUNNING_GLOBAL_SETUP', to: 'RUNNING_WORKLOADS', seq: statesBefore + 1 },
    });
  });

  it('leaves a run that is already there, or not in one of `onlyFrom`, unchanged', async () => {
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    const events = recorded.events.length;

    await changeState(deps, runId, { to: 'RUNNING_GLOBAL_SETUP', reason: 'again' });
    const entry = await changeState(deps, runId, {
      to: 'STOPPING_TEARDOWN',
      reason: 'only from a stop',
      onlyFrom: ['STOPPING_WAIT_RUNNERS'],
    });

    expect(entry.state).toBe('RUNNING_GLOBAL_SETUP');
    expect(recorded.events).toHaveLength(events);
  });

  it('refuses a move the transition table forbids, and a run that does not exist', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');

    await expect(changeState(deps, runId, { to: 'INIT', reason: 'back' })).rejects.toBeInstanceOf(
      IllegalTransitionError,
    );
    await expect(
      changeState(deps, 'missing-20261123-100000-zzzz', { to: 'FAILED', reason: 'x' }),
    ).rejects.toBeInstanceOf(RunNotFoundError);
  });
});
