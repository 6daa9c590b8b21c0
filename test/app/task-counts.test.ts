import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recountTasks } from '../../lib/app/task-counts.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: recountTasks', () => {
  it("replaces the catalog's counts with the journal's tasks counted again", async () => {
    // Prepare: 3 hosts × 2 repetitions; one repetition's tasks skipped behind the catalog's back
    const { runId, deps } = await plannedRun(db, 'lockstep');
    const rep1 = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    await deps.journal.setTasksStatus(runId, rep1, 'SKIPPED', 'test');

    // Act
    const counts = await recountTasks(deps, runId, '2026-11-23T10:05:00.000Z');

    // Assess
    expect(counts).toStrictEqual({
      pending: 3,
      running: 0,
      completed: 0,
      failed: 0,
      skipped: 3,
      cancelled: 0,
    });
    expect(await deps.catalog.get(runId)).toMatchObject({ counts, updatedAt: '2026-11-23T10:05:00.000Z' });
  });
});
