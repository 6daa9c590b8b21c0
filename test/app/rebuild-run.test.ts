import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeRun } from '../../lib/app/finalize-run.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { planRun } from '../../lib/app/plan-run.js';
import { rebuildRun } from '../../lib/app/rebuild-run.js';
import { runCommand } from '../../lib/app/run-command.js';
import type { RunFiles } from '../../lib/app/run-damage.js';
import type { CloudEvent } from '../../lib/core/cloudevents.js';
import type { CatalogEntry, TaskRecord } from '../../lib/core/run.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, type PlannedRun, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/**
 * The files a run leaves on disk: its META as run.json and the events its use cases published, captured
 * before the database loses the run.
 */
async function filesOf(run: PlannedRun): Promise<RunFiles> {
  const meta = await run.deps.journal.getRun(run.runId);
  const events: CloudEvent[] = [...run.recorded.events];
  return { list: async () => [run.runId], events: async () => events, meta: async () => meta };
}

/** Every host's stdout: the shell plugin's metrics on the last line. */
const OUTPUTS = Object.fromEntries(HOSTS.map((h, i) => [`out/${h}`, `warming up\n{"ops": ${100 + i}}\n`]));

/** A run that ran to its end: repetition 1 succeeds with metrics, host-2 fails repetition 2. */
async function finishedRun(): Promise<PlannedRun> {
  const run = await plannedRun(db, 'lockstep');
  const deps = { ...run.deps, outputs: { read: async (ref: string) => OUTPUTS[ref] ?? '' } };
  const { runId } = run;
  for (const rep of [1, 2]) {
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep, taskToken: `rep-${rep}` });
    for (const host of HOSTS) {
      const failed = rep === 2 && host === 'host-2';
      await onInvocationStatus(deps, {
        runId,
        commandId: `a1.repetition.w.${rep}`,
        hostId: host,
        status: failed ? 'Failed' : 'Success',
        exitCode: failed ? 3 : 0,
        startedAt: '2026-11-23T10:00:01.000Z',
        finishedAt: '2026-11-23T10:00:03.500Z',
        stdoutRef: `out/${host}`,
      });
    }
  }
  await runCommand(deps, { runId, phase: 'teardown', workload: 'w', taskToken: 'teardown' });
  await runCommand(deps, { runId, phase: 'globalTeardown', taskToken: 'global-teardown' });
  await finalizeRun(deps, { runId });
  return run;
}

/** What the journal and the catalog hold of the run. */
async function stored(run: PlannedRun) {
  return {
    meta: await run.deps.journal.getRun(run.runId),
    tasks: await run.deps.journal.listTasks(run.runId),
    states: await run.deps.journal.listStates(run.runId),
    entry: await run.deps.catalog.get(run.runId),
  };
}

/** The database loses the run: its catalog entry and its whole journal partition. */
async function lose(run: PlannedRun): Promise<void> {
  await run.deps.catalog.delete(run.runId);
  await run.deps.journal.deleteRun(run.runId);
}

/** A task as its events tell it: the command it ran under and the status it had before are not in them. */
function asTold({ commandId: _c, previousStatus: _p, ...task }: TaskRecord): TaskRecord {
  return task;
}

/** The catalog fields a run's files can tell. */
function told(entry: CatalogEntry | undefined) {
  if (entry === undefined) throw new Error('no catalog entry');
  const { name, state, target, hosts, workloads, counts, createdAt, finishedAt, reason } = entry;
  return { name, state, target, hosts, workloads, counts, createdAt, finishedAt, reason };
}

describe('Use case: rebuildRun', () => {
  it('rebuilds a run the database lost from its files: META, tasks with results and metrics, audit trail, catalog entry', async () => {
    // Prepare: the run ends, then the database loses it
    const run = await finishedRun();
    const before = await stored(run);
    const files = await filesOf(run);
    await lose(run);

    // Act
    const entry = await rebuildRun(run.deps, files, run.runId);

    // Assess
    const after = await stored(run);
    expect(after.meta).toEqual(before.meta);
    expect(after.tasks).toEqual(before.tasks.map(asTold));
    expect(after.tasks.find((t) => t.key === 'host-2::w::1')?.metrics).toEqual([
      { name: 'ops', value: 101, unit: '' },
    ]);
    expect(after.tasks.find((t) => t.key === 'host-2::w::2')).toMatchObject({
      status: 'FAILED',
      exitCode: 3,
      errorType: 'EXIT_CODE',
    });
    // The record of the run's creation (seq 1, to INIT) has no event of its own: the trail starts after it.
    expect(before.states[0]).toMatchObject({ seq: 1, from: null, to: 'INIT' });
    expect(after.states).toEqual(before.states.slice(1));
    expect(told(after.entry)).toEqual(told(before.entry));
    expect(entry).toEqual(after.entry);
    expect(entry).toMatchObject({ state: 'FINISHED', counts: { completed: 5, failed: 1 } });
  });

  it('recreates only the catalog entry of a run the journal still has, leaving the journal as it is', async () => {
    // Prepare: the run ends, then only the catalog loses it
    const run = await finishedRun();
    const before = await stored(run);
    const files = await filesOf(run);
    await run.deps.catalog.delete(run.runId);

    // Act
    await rebuildRun(run.deps, files, run.runId);

    // Assess
    const after = await stored(run);
    expect(after.tasks).toEqual(before.tasks);
    expect(after.states).toEqual(before.states);
    expect(told(after.entry)).toEqual(told(before.entry));
  });

  it("rebuilds a resumed run in the state its last attempt reached, with the earlier attempt's results", async () => {
    // Prepare: repetition 1 completes, the run fails, is resumed, and its engine dies in the global setup
    const run = await plannedRun(db, 'lockstep');
    const { runId, deps } = run;
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    for (const host of HOSTS) {
      const commandId = 'a1.repetition.w.1';
      await onInvocationStatus(deps, { runId, commandId, hostId: host, status: 'Success', exitCode: 0 });
    }
    await finalizeRun(deps, { runId, outcome: { error: { Error: 'States.Timeout', Cause: 'rep 2' } } });
    await planRun(deps, { resume: { runId } });
    await runCommand(deps, { runId, attempt: 2, phase: 'globalSetup', taskToken: 'setup-2' });
    const before = await stored(run);
    const files = await filesOf(run);
    await lose(run);

    // Act
    const entry = await rebuildRun(deps, files, runId);

    // Assess
    expect(before.entry?.state).toBe('RUNNING_GLOBAL_SETUP');
    expect(entry).toMatchObject({ state: 'RUNNING_GLOBAL_SETUP', counts: before.entry?.counts });
    expect((await deps.journal.getRun(runId))?.attempt).toBe(2);
    const tasks = await deps.journal.listTasks(runId);
    expect(tasks.map((t) => t.status)).toEqual(before.tasks.map((t) => t.status));
    expect((await deps.journal.listStates(runId)).at(-1)).toEqual(before.states.at(-1));
  });

  it('refuses a run without run.json, naming it, and writes nothing', async () => {
    // Prepare: the run's events survived, its run.json did not
    const run = await finishedRun();
    const files = { ...(await filesOf(run)), meta: async () => undefined };
    await lose(run);

    // Act
    const rebuilding = rebuildRun(run.deps, files, run.runId);

    // Assess
    await expect(rebuilding).rejects.toThrow(`run ${run.runId} has no run.json to rebuild it from`);
    expect(await run.deps.catalog.get(run.runId)).toBeUndefined();
    expect(await run.deps.journal.getRun(run.runId)).toBeUndefined();
  });
});
