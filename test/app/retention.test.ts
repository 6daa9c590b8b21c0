import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoveRunsDeps } from '../../lib/app/remove-runs.js';
import { purgeExpiredRuns } from '../../lib/app/retention.js';
import type { ControllerState } from '../../lib/core/controller-state.js';
import type { Deps, RunArtifacts } from '../../lib/core/ports.js';
import type { CatalogEntry } from '../../lib/core/run.js';
import { emptyCounts } from '../../lib/core/task-state.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { dynaliteDeps } from '../support/dynalite-deps.js';

const NOW = new Date('2026-03-01T00:00:00.000Z');
const DAY = 86_400;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY * 1000).toISOString();

let db: TestDynalite;
beforeEach(async () => {
  db = await startTestDynalite();
});
afterEach(async () => db.stop());

function run(runId: string, state: ControllerState, endedDaysAgo: number): CatalogEntry {
  return {
    runId,
    name: 'n',
    state,
    target: 'aws',
    hosts: [],
    workloads: [],
    counts: emptyCounts(),
    createdAt: daysAgo(endedDaysAgo + 1),
    updatedAt: daysAgo(endedDaysAgo),
    finishedAt: daysAgo(endedDaysAgo),
  };
}

function deps(purge: RunArtifacts['purge']): RemoveRunsDeps & Pick<Deps, 'logger'> & { errors: string[] } {
  const errors: string[] = [];
  const base = dynaliteDeps(db, {}, NOW).deps;
  return {
    ...base,
    logger: {
      ...base.logger,
      error: (message, fields) => errors.push(`${message} ${String(fields?.runId)}`),
    },
    artifacts: { exists: async () => false, purge },
    errors,
  };
}

describe('Use case: purgeExpiredRuns', () => {
  it('purges the runs that ended longer ago than the retention, oldest first, at most `limit` a pass', async () => {
    // Prepare
    for (const entry of [
      run('ended-40-days-ago', 'FINISHED', 40),
      run('ended-35-days-ago', 'FAILED', 35),
      run('ended-31-days-ago', 'ABORTED', 31),
      run('ended-10-days-ago', 'FINISHED', 10),
      { ...run('going-on-since-50-days', 'RUNNING_WORKLOADS', 50), finishedAt: undefined },
    ] as CatalogEntry[])
      await db.catalog.create(entry);

    // Act
    const first = await purgeExpiredRuns(
      deps(async () => 0),
      { retentionSeconds: 30 * DAY, limit: 2 },
    );
    const second = await purgeExpiredRuns(
      deps(async () => 0),
      { retentionSeconds: 30 * DAY, limit: 2 },
    );

    // Assess
    expect(first.purged).toEqual(['ended-40-days-ago', 'ended-35-days-ago']);
    expect(second.purged).toEqual(['ended-31-days-ago']);
    expect((await db.catalog.list()).map((e) => e.runId).sort()).toEqual([
      'ended-10-days-ago',
      'going-on-since-50-days',
    ]);
  });

  it('goes on past a run whose purge fails, and logs it for the next pass', async () => {
    // Prepare
    await db.catalog.create(run('throttled', 'FINISHED', 40));
    await db.catalog.create(run('fine', 'FINISHED', 39));
    const withFailure = deps(async (runId) => {
      if (runId === 'throttled') throw new Error('SlowDown');
      return 1;
    });

    // Act
    const { purged } = await purgeExpiredRuns(withFailure, { retentionSeconds: 30 * DAY });

    // Assess
    expect(purged).toEqual(['fine']);
    expect(withFailure.errors).toEqual(['purging a run past the retention failed throttled']);
  });
});
