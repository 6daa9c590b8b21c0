import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeRun } from '../../lib/app/finalize-run.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { runCommand } from '../../lib/app/run-command.js';
import { findRunDamage, type RunFiles } from '../../lib/app/run-damage.js';
import type { CloudEvent } from '../../lib/core/cloudevents.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, type PlannedRun, plannedRun } from '../support/planned-run.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/** The files a run leaves on disk, as the events its use cases published, read when asked. */
function filesOf(run: PlannedRun, beforeRead: () => Promise<void> = async () => undefined): RunFiles {
  return {
    list: async () => [run.runId],
    events: async (): Promise<CloudEvent[]> => {
      await beforeRead();
      return [...run.recorded.events];
    },
    meta: async () => run.deps.journal.getRun(run.runId),
  };
}

/** Runs every repetition of the planned run to success, then its global teardown: it is ready to finish. */
async function runAllSteps({ runId, deps }: PlannedRun): Promise<void> {
  for (const rep of [1, 2]) {
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep, taskToken: `rep-${rep}` });
    for (const host of HOSTS) {
      const commandId = `a1.repetition.w.${rep}`;
      await onInvocationStatus(deps, { runId, commandId, hostId: host, status: 'Success', exitCode: 0 });
    }
  }
  await runCommand(deps, { runId, phase: 'globalTeardown', taskToken: 'global-teardown' });
}

describe('Use case: findRunDamage', () => {
  it('finds a run whose events say it finished while the catalog has it going on', async () => {
    // Prepare: the run finishes, then the catalog forgets it
    const run = await plannedRun(db, 'lockstep');
    await runAllSteps(run);
    await finalizeRun(run.deps, { runId: run.runId });
    const entry = await run.deps.catalog.get(run.runId);
    if (entry === undefined) throw new Error('finished run has no catalog entry');
    await run.deps.catalog.delete(run.runId);
    await run.deps.catalog.create({ ...entry, state: 'RUNNING_WORKLOADS' });

    // Act
    const damage = await findRunDamage(run.deps, filesOf(run));

    // Assess
    expect(damage).toEqual([
      {
        runId: run.runId,
        problem: 'ended FINISHED (its events) but the catalog says RUNNING_WORKLOADS',
        rebuildable: true,
      },
    ]);
  });

  it('finds a run on disk that the catalog does not know', async () => {
    const run = await plannedRun(db, 'lockstep');
    await run.deps.catalog.delete(run.runId);

    const damage = await findRunDamage(run.deps, filesOf(run));

    expect(damage).toEqual([
      { runId: run.runId, problem: 'is on disk but not in the catalog', rebuildable: true },
    ]);
  });

  it('takes a run that another engine finishes between the catalog read and the events read for healthy', async () => {
    // Prepare: the run finishes (catalog, then events) while its files are being read
    const run = await plannedRun(db, 'lockstep');
    await runAllSteps(run);
    const files = filesOf(run, async () => {
      await finalizeRun(run.deps, { runId: run.runId });
    });

    // Act
    const damage = await findRunDamage(run.deps, files);

    // Assess
    expect(damage).toEqual([]);
    expect(await run.deps.catalog.get(run.runId)).toMatchObject({ state: 'FINISHED' });
  });

  it('takes a run that another engine creates between the catalog read and the events read for healthy', async () => {
    // Prepare: the catalog entry is gone when the catalog is listed, and back when the events are read
    const run = await plannedRun(db, 'lockstep');
    const entry = await run.deps.catalog.get(run.runId);
    if (entry === undefined) throw new Error('planned run has no catalog entry');
    await run.deps.catalog.delete(run.runId);
    const files = filesOf(run, async () => {
      await run.deps.catalog.create(entry);
    });

    // Act
    const damage = await findRunDamage(run.deps, files);

    // Assess
    expect(damage).toEqual([]);
  });
});
