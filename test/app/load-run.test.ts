import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRun } from '../../lib/app/load-run.js';
import { RunNotFoundError } from '../../lib/core/errors.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: loadRun', () => {
  it("loads the run's META and its catalog entry", async () => {
    // Prepare
    const { runId, deps } = await plannedRun(db, 'lockstep');

    // Act
    const { meta, entry } = await loadRun(deps, runId, { attempt: 1 });

    // Assess
    expect(meta).toMatchObject({ runId, attempt: 1, plan: { name: 'lockstep' } });
    expect(entry).toMatchObject({ runId, state: 'RUNNING_GLOBAL_SETUP' });
  });

  it('says RunNotFoundError for a run the journal or the catalog does not know', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await deps.catalog.delete(runId);

    await expect(loadRun(deps, runId)).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(loadRun(deps, 'missing-20261123-100000-zzzz')).rejects.toBeInstanceOf(RunNotFoundError);
  });
});
