import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollStaleCommands, STALE_COMMAND_MS } from '../../lib/app/poll-stale-commands.js';
import { reconcileLocalRuns, reconcileRuns } from '../../lib/app/reconcile.js';
import { runCommand } from '../../lib/app/run-command.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

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

describe('Use case: pollStaleCommands', () => {
  it('polls a command whose status events were lost and applies its results', async () => {
    // Prepare: a repetition sent long ago, whose results only the poll can see
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const later = new Date(Date.parse('2026-11-23T10:00:00.000Z') + STALE_COMMAND_MS);
    const polling = {
      ...deps,
      clock: { ...deps.clock, now: () => later },
      runner: {
        ...deps.runner,
        poll: async (command: { commandId: string }) =>
          HOSTS.map((host) => ({
            runId,
            commandId: command.commandId,
            hostId: host,
            status: 'Success' as const,
            exitCode: 0,
          })),
      },
    };

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(out.recoveredResults).toBe(3);
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => t.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect((await deps.journal.getCommand(runId, 'a1.repetition.w.1'))?.status).toBe('DONE');
  });

  it('leaves a command sent less than the threshold ago alone', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    let polled = 0;

    await pollStaleCommands(
      {
        ...deps,
        runner: {
          ...deps.runner,
          poll: async () => {
            polled += 1;
            return [];
          },
        },
      },
      { olderThanMs: STALE_COMMAND_MS },
    );

    expect(polled).toBe(0);
  });
});
