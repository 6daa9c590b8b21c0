import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileLocalRuns, reconcileRuns } from '../../lib/app/reconcile.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

describe('Use case: reconcileRuns', () => {
  it('marks FAILED a run whose driver is gone, naming how to resume it, and leaves the others', async () => {
    // Prepare: two open runs, only the second one's driver is gone
    const alive = await plannedRun(db, 'lockstep');
    const gone = await plannedRun(db, 'lockstep');
    await gone.deps.catalog.setExecution(gone.runId, { engine: '999999@this-host' });

    // Act
    const report = await reconcileRuns(gone.deps, {
      isDriverAlive: async (entry) => entry.runId !== gone.runId,
    });

    // Assess
    expect(report.failed.map((f) => f.runId)).toEqual([gone.runId]);
    expect(report.failed[0]?.reason).toBe(
      `engine 999999@this-host is gone; resume with \`fleetbench resume ${gone.runId}\``,
    );
    expect(await gone.deps.catalog.get(gone.runId)).toMatchObject({ state: 'FAILED' });
    expect(await alive.deps.catalog.get(alive.runId)).toMatchObject({ state: 'RUNNING_GLOBAL_SETUP' });
  });

  it("judges locally only this machine's engines, by their pid", async () => {
    const here = await plannedRun(db, 'lockstep');
    const elsewhere = await plannedRun(db, 'lockstep');
    await here.deps.catalog.setExecution(here.runId, { engine: '4242@this-host' });
    await elsewhere.deps.catalog.setExecution(elsewhere.runId, { engine: '4242@other-host' });

    const report = await reconcileLocalRuns(here.deps, { thisHost: 'this-host', isPidAlive: () => false });

    expect(report.failed.map((f) => f.runId)).toContain(here.runId);
    expect(report.failed.map((f) => f.runId)).not.toContain(elsewhere.runId);
    expect(await elsewhere.deps.catalog.get(elsewhere.runId)).toMatchObject({
      state: 'RUNNING_GLOBAL_SETUP',
    });
  });
});
