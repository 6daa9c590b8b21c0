import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RemoveRunsDeps, removeRuns, runsEndedBefore } from '../../lib/app/remove-runs.js';
import { runCommand } from '../../lib/app/run-command.js';
import { EVENT_TYPES } from '../../lib/core/cloudevents.js';
import type { ControllerState } from '../../lib/core/controller-state.js';
import { RunNotFoundError, RunStateError, UsageError } from '../../lib/core/errors.js';
import type { RunArtifacts } from '../../lib/core/ports.js';
import type { CatalogEntry } from '../../lib/core/run.js';
import { emptyCounts } from '../../lib/core/task-state.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { type PlannedRun, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/** Artifacts in memory: which runs have files, which carry the removal note, which were purged. */
function memoryArtifacts(withFiles: readonly string[]) {
  const files = new Set(withFiles);
  const notes = new Map<string, { at: string; by: string }>();
  const purged: string[] = [];
  const artifacts: RunArtifacts = {
    exists: async (runId) => files.has(runId),
    markRemoved: async (runId, removal) => {
      notes.set(runId, removal);
    },
    unmarkRemoved: async (runId) => {
      notes.delete(runId);
    },
    purge: async (runId) => {
      purged.push(runId);
      files.delete(runId);
      notes.delete(runId);
      return 3;
    },
  };
  return { artifacts, notes, purged };
}

/** A run that sent its first repetition (a command with a runner id), then ended FAILED. */
async function endedRun(finishedAt = '2026-11-23T10:05:00.000Z'): Promise<PlannedRun> {
  const run = await plannedRun(db, 'lockstep');
  await runCommand(run.deps, {
    runId: run.runId,
    phase: 'repetition',
    workload: 'w',
    rep: 1,
    taskToken: 't',
  });
  await run.deps.catalog.updateState(run.runId, 'RUNNING_WORKLOADS', 'FAILED', { finishedAt });
  return run;
}

function depsOf(run: PlannedRun, artifacts: RunArtifacts): RemoveRunsDeps {
  return { ...run.deps, artifacts };
}

describe('Use case: removeRuns', () => {
  it('takes an ended run out of the catalog, keeps its journal, notes the removal and publishes run.removed', async () => {
    // Prepare
    const run = await endedRun();
    const memory = memoryArtifacts([run.runId]);

    // Act
    const removed = await removeRuns(depsOf(run, memory.artifacts), {
      runIds: [run.runId],
      purge: false,
      by: 'cli:alice',
    });

    // Assess
    expect(removed).toEqual([
      { runId: run.runId, state: 'FAILED', purged: false, journalItems: 0, files: 0 },
    ]);
    expect(await db.catalog.get(run.runId)).toBeUndefined();
    expect(await db.journal.getRun(run.runId)).toBeDefined();
    expect(memory.notes.get(run.runId)).toEqual({ at: '2026-11-23T10:00:00.000Z', by: 'cli:alice' });
    expect(memory.purged).toEqual([]);
    expect(run.recorded.events.filter((e) => e.type === EVENT_TYPES.runRemoved).map((e) => e.data)).toEqual([
      { runId: run.runId, purged: false, by: 'cli:alice', state: 'FAILED' },
    ]);
  });

  it('purges the journal (its runner-id items too) and the files, and finishes a purge an earlier removal left', async () => {
    // Prepare
    const run = await endedRun();
    const [providerId] = (await db.journal.listCommands(run.runId)).flatMap((c) => c.providerIds);
    const memory = memoryArtifacts([run.runId]);
    await removeRuns(depsOf(run, memory.artifacts), { runIds: [run.runId], purge: false, by: 'cli:alice' });

    // Act
    const removed = await removeRuns(depsOf(run, memory.artifacts), {
      runIds: [run.runId],
      purge: true,
      by: 'cli:bob',
    });

    // Assess
    expect(removed).toEqual([
      { runId: run.runId, state: null, purged: true, journalItems: expect.any(Number), files: 3 },
    ]);
    expect(removed[0]?.journalItems).toBeGreaterThan(3);
    expect(await db.journal.getRun(run.runId)).toBeUndefined();
    expect(await db.journal.listTasks(run.runId)).toEqual([]);
    expect(providerId).toBeDefined();
    expect(await db.journal.findCommandByProviderId(providerId ?? '')).toBeUndefined();
    expect(memory.purged).toEqual([run.runId]);
  });

  it('removes none of the ids when one of them is still going on', async () => {
    // Prepare
    const ended = await endedRun();
    const going = await plannedRun(db, 'lockstep');
    const memory = memoryArtifacts([ended.runId, going.runId]);

    // Act
    const removing = removeRuns(depsOf(ended, memory.artifacts), {
      runIds: [ended.runId, going.runId],
      purge: true,
      by: 'cli:alice',
    });

    // Assess
    await expect(removing).rejects.toBeInstanceOf(RunStateError);
    expect(await db.catalog.get(ended.runId)).toBeDefined();
    expect(await db.journal.getRun(ended.runId)).toBeDefined();
    expect(memory.notes.size).toBe(0);
    expect(memory.purged).toEqual([]);
  });

  it('leaves a run that was resumed between the check and the delete, and takes its note back', async () => {
    // Prepare: the catalog read that checks the run is the last moment it is FAILED
    const run = await endedRun();
    const memory = memoryArtifacts([run.runId]);
    const resumedAfterRead: RemoveRunsDeps = {
      ...depsOf(run, memory.artifacts),
      catalog: new Proxy(db.catalog, {
        get(target, property) {
          if (property !== 'get') return Reflect.get(target, property, target).bind(target);
          return async (runId: string) => {
            const entry = await target.get(runId);
            await target.updateState(runId, 'FAILED', 'INIT', { reason: 'resumed' });
            return entry;
          };
        },
      }),
    };

    // Act
    const removing = removeRuns(resumedAfterRead, { runIds: [run.runId], purge: true, by: 'cli:alice' });

    // Assess
    await expect(removing).rejects.toThrow(
      `run ${run.runId} was resumed while it was being removed: it stays`,
    );
    expect((await db.catalog.get(run.runId))?.state).toBe('INIT');
    expect(await db.journal.getRun(run.runId)).toBeDefined();
    expect(memory.notes.size).toBe(0);
    expect(memory.purged).toEqual([]);
  });

  it.each([
    ['an id nothing is known of', false, RunNotFoundError],
    ['an already removed run, without purge', true, UsageError],
  ])('refuses %s', async (_case, known, error) => {
    // Prepare
    const run = await endedRun();
    const memory = memoryArtifacts([]);
    if (known)
      await removeRuns(depsOf(run, memory.artifacts), { runIds: [run.runId], purge: false, by: 'a' });
    const runId = known ? run.runId : 'unknown-20261123-100000-zzzz';

    // Act
    const removing = removeRuns(depsOf(run, memory.artifacts), { runIds: [runId], purge: false, by: 'a' });

    // Assess
    await expect(removing).rejects.toBeInstanceOf(error);
  });
});

describe('Use case: runsEndedBefore', () => {
  it('selects the runs that ended before the cutoff, never one going on, oldest first', async () => {
    // Prepare: a catalog of its own
    const own = await startTestDynalite();
    try {
      const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
      const run = (runId: string, state: ControllerState, created: number, ended?: number): CatalogEntry => ({
        runId,
        name: 'n',
        state,
        target: 'local',
        hosts: [],
        workloads: [],
        counts: emptyCounts(),
        createdAt: at(created),
        updatedAt: at(ended ?? created),
        ...(ended === undefined ? {} : { finishedAt: at(ended) }),
      });
      for (const entry of [
        run('ended-second', 'FINISHED', 2, 3),
        run('going-on', 'RUNNING_WORKLOADS', 1),
        run('resumed-since', 'FAILED', 2, 20),
        run('created-after', 'FINISHED', 12, 13),
        run('ended-first', 'ABORTED', 1, 1),
      ])
        await own.catalog.create(entry);

      // Act
      const selected = await runsEndedBefore({ catalog: own.catalog }, new Date(at(10)));

      // Assess
      expect(selected).toEqual(['ended-first', 'ended-second']);
    } finally {
      await own.stop();
    }
  });
});
