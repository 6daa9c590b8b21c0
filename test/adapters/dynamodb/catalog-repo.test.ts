import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, IllegalTransitionError, RunNotFoundError } from '../../../lib/core/errors.js';
import type { Clock } from '../../../lib/core/ports.js';
import type { CatalogEntry, StopRequest } from '../../../lib/core/run.js';
import { emptyCounts } from '../../../lib/core/task-state.js';
import { startTestDynalite, type TestDynalite } from '../../support/dynalite.js';

const NOW = '2026-02-01T10:00:00.000Z';
const clock: Clock = { now: () => new Date(NOW), sleep: async () => {} };

function entry(runId: string, createdAt = '2026-01-01T00:00:00.000Z'): CatalogEntry {
  return {
    runId,
    name: 'cpu-and-disk',
    state: 'INIT',
    target: 'local',
    hosts: ['host-1', 'host-2'],
    workloads: ['cpu'],
    counts: { ...emptyCounts(), pending: 4 },
    createdAt,
    updatedAt: createdAt,
  };
}

const stop = (requestedBy: string): StopRequest => ({
  requestedAt: '2026-01-01T00:10:00.000Z',
  requestedBy,
  reason: 'enough',
  force: false,
});

const newRunId = (): string => `run-${randomUUID()}`;

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite({ clock });
});

afterAll(async () => {
  await db.stop();
});

describe('Class: DynamoCatalogRepo', () => {
  describe('Method: create / get / delete', () => {
    it('stores an entry once and reads it back without the index key', async () => {
      const runId = newRunId();

      await db.catalog.create(entry(runId));

      expect(await db.catalog.get(runId)).toStrictEqual(entry(runId));
      await expect(db.catalog.create({ ...entry(runId), name: 'other' })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await db.catalog.get(runId))?.name).toBe('cpu-and-disk');
    });

    it('puts every entry in the partition of the byCreatedAt index', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));

      const raw = await db.doc.send(new GetCommand({ TableName: db.tableNames.catalog, Key: { runId } }));

      expect(raw.Item?.gsi1pk).toBe('RUN');
    });

    it('deletes an entry, and deleting it again is harmless', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));

      await db.catalog.delete(runId);
      await db.catalog.delete(runId);

      expect(await db.catalog.get(runId)).toBeUndefined();
    });
  });

  describe('Method: list', () => {
    it('lists runs newest first, up to the limit', async () => {
      // Prepare: a catalog of its own, so other tests' runs do not interleave
      const own = await startTestDynalite();
      try {
        const created = Array.from({ length: 60 }, (_, i) =>
          entry(`run-${String(i).padStart(2, '0')}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()),
        );
        for (const e of [...created].sort(() => Math.random() - 0.5)) await own.catalog.create(e);

        // Act
        const three = await own.catalog.list({ limit: 3 });
        const byDefault = await own.catalog.list();
        const all = await own.catalog.list({ limit: 100 });

        // Assess
        expect(three.map((e) => e.runId)).toStrictEqual(['run-59', 'run-58', 'run-57']);
        expect(byDefault).toHaveLength(50);
        expect(all).toStrictEqual([...created].reverse());
      } finally {
        await own.stop();
      }
    });
  });

  describe('Method: updateState', () => {
    it('moves the state from the expected one, stamping updatedAt with the clock', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));

      await db.catalog.updateState(runId, 'INIT', 'RUNNING_GLOBAL_SETUP', {
        reason: 'started',
        engine: '1@here',
      });
      await db.catalog.updateState(runId, 'RUNNING_GLOBAL_SETUP', 'STOP_ARMED', {
        previousState: 'RUNNING_GLOBAL_SETUP',
      });
      await db.catalog.updateState(runId, 'STOP_ARMED', 'FAILED', { reason: 'boom', finishedAt: NOW });

      expect(await db.catalog.get(runId)).toStrictEqual({
        ...entry(runId),
        state: 'FAILED',
        previousState: 'RUNNING_GLOBAL_SETUP',
        reason: 'boom',
        engine: '1@here',
        finishedAt: NOW,
        updatedAt: NOW,
      });
    });

    it('throws ConflictError naming both states when the run is not in `from`', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));
      await db.catalog.updateState(runId, 'INIT', 'RUNNING_GLOBAL_SETUP');

      const attempt = db.catalog.updateState(runId, 'INIT', 'FAILED');

      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toThrow(/RUNNING_GLOBAL_SETUP.*INIT/);
      expect((await db.catalog.get(runId))?.state).toBe('RUNNING_GLOBAL_SETUP');
    });

    it('rejects a move the transition table forbids, without writing', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));

      await expect(db.catalog.updateState(runId, 'INIT', 'FINISHED')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
      expect((await db.catalog.get(runId))?.state).toBe('INIT');
    });

    it('throws RunNotFoundError for an unknown run and creates nothing', async () => {
      const runId = newRunId();

      await expect(db.catalog.updateState(runId, 'INIT', 'FAILED')).rejects.toBeInstanceOf(RunNotFoundError);
      expect(await db.catalog.get(runId)).toBeUndefined();
    });
  });

  describe('Method: updateCounts', () => {
    it('replaces the counts of an existing run only', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));
      const counts = { ...emptyCounts(), completed: 3, failed: 1 };

      await db.catalog.updateCounts(runId, counts, '2026-01-02T00:00:00.000Z');

      expect(await db.catalog.get(runId)).toStrictEqual({
        ...entry(runId),
        counts,
        updatedAt: '2026-01-02T00:00:00.000Z',
      });
      const missing = newRunId();
      await expect(db.catalog.updateCounts(missing, counts, NOW)).rejects.toBeInstanceOf(RunNotFoundError);
      expect(await db.catalog.get(missing)).toBeUndefined();
    });
  });

  describe('Method: requestStop / clearStopRequest', () => {
    it('records the first stop request and keeps it against a second one', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));

      expect(await db.catalog.requestStop(runId, stop('alice'))).toBe(true);
      expect(await db.catalog.requestStop(runId, stop('bob'))).toBe(false);

      expect(await db.catalog.get(runId)).toStrictEqual({
        ...entry(runId),
        stopRequest: stop('alice'),
        updatedAt: NOW,
      });
    });

    it('lets a forced request escalate a graceful one, once', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));
      const forced = { ...stop('bob'), force: true };

      expect(await db.catalog.requestStop(runId, stop('alice'))).toBe(true);
      expect(await db.catalog.requestStop(runId, forced)).toBe(true);
      expect(await db.catalog.requestStop(runId, { ...stop('carol'), force: true })).toBe(false);
      expect(await db.catalog.requestStop(runId, stop('dave'))).toBe(false);

      expect((await db.catalog.get(runId))?.stopRequest).toStrictEqual(forced);
    });

    it('throws RunNotFoundError for an unknown run and creates nothing', async () => {
      const runId = newRunId();

      await expect(db.catalog.requestStop(runId, stop('alice'))).rejects.toBeInstanceOf(RunNotFoundError);
      expect(await db.catalog.get(runId)).toBeUndefined();
    });

    it('clears the request so that the next attempt can be stopped again', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));
      await db.catalog.requestStop(runId, stop('alice'));

      await db.catalog.clearStopRequest(runId);

      expect((await db.catalog.get(runId))?.stopRequest).toBeUndefined();
      expect(await db.catalog.requestStop(runId, stop('bob'))).toBe(true);
      await expect(db.catalog.clearStopRequest(newRunId())).rejects.toBeInstanceOf(RunNotFoundError);
    });
  });

  describe('Method: setExecution', () => {
    it('sets the given fields of an existing run only', async () => {
      const runId = newRunId();
      await db.catalog.create(entry(runId));

      await db.catalog.setExecution(runId, { executionArn: 'arn:aws:states:x' });
      await db.catalog.setExecution(runId, { engine: '42@laptop' });
      await db.catalog.setExecution(runId, {});

      expect(await db.catalog.get(runId)).toStrictEqual({
        ...entry(runId),
        executionArn: 'arn:aws:states:x',
        engine: '42@laptop',
      });
      await expect(db.catalog.setExecution(newRunId(), { engine: 'x' })).rejects.toBeInstanceOf(
        RunNotFoundError,
      );
    });
  });
});
