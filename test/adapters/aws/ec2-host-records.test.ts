/**
 * The journal side of the ephemeral-host lifecycle: DynamoJournalRepo.recordHostState and listHostRecords on
 * dynalite (`SK=HOST#<instanceId>`), with the conditions that keep concurrent writers (plan-run, finalize-run,
 * the reconciler) from overwriting each other.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hostSortKey } from '../../../lib/adapters/dynamodb/journal-keys.js';
import { type HostObservation, IllegalHostTransitionError } from '../../../lib/core/host-lifecycle.js';
import { startTestDynalite, type TestDynalite } from '../../support/dynalite.js';

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});

afterAll(async () => {
  await db.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const runId = (): string => `run-${randomUUID()}`;

function seen(state: HostObservation['state'], extra: Partial<HostObservation> = {}): HostObservation {
  return {
    instanceId: 'i-0123456789abcdef0',
    name: 'fleetbench-r-1',
    state,
    at: `2026-03-01T10:0${['REQUESTED', 'PENDING', 'RUNNING', 'SSM_ONLINE', 'IN_USE', 'FAILED', 'TERMINATING', 'TERMINATED'].indexOf(state)}:00.000Z`,
    reason: state.toLowerCase(),
    ...extra,
  };
}

describe('Class: DynamoJournalRepo (host records)', () => {
  describe('Method: recordHostState', () => {
    it('creates the record at the first observation, only if it does not exist', async () => {
      const run = runId();
      const send = vi.spyOn(db.doc, 'send');

      const record = await db.journal.recordHostState(
        run,
        seen('REQUESTED', { details: { instanceType: 'c7g.large', spot: true, imageId: 'ami-1' } }),
      );

      expect(record).toMatchObject({
        runId: run,
        instanceId: 'i-0123456789abcdef0',
        state: 'REQUESTED',
        instanceType: 'c7g.large',
        spot: true,
        history: [{ from: null, to: 'REQUESTED', at: '2026-03-01T10:00:00.000Z', reason: 'requested' }],
      });
      const put = send.mock.calls.map(([c]) => c).find((c) => c instanceof PutCommand) as PutCommand;
      expect(put.input).toMatchObject({
        Item: expect.objectContaining({ pk: `RUN#${run}`, sk: hostSortKey('i-0123456789abcdef0') }),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    });

    it('moves the state only from the state it read, appends the history and completes the details', async () => {
      const run = runId();
      await db.journal.recordHostState(run, seen('REQUESTED'));
      await db.journal.recordHostState(run, seen('PENDING'));
      const send = vi.spyOn(db.doc, 'send');

      const record = await db.journal.recordHostState(
        run,
        seen('RUNNING', { details: { address: '10.0.0.7' } }),
      );

      expect(record).toMatchObject({ state: 'RUNNING', address: '10.0.0.7', reason: 'running' });
      expect(record?.history.map((h) => `${h.from}>${h.to}`)).toEqual([
        'null>REQUESTED',
        'REQUESTED>PENDING',
        'PENDING>RUNNING',
      ]);
      const update = send.mock.calls.map(([c]) => c).find((c) => c instanceof UpdateCommand) as UpdateCommand;
      expect(update.input).toMatchObject({
        ConditionExpression: '#state = :from',
        ExpressionAttributeValues: expect.objectContaining({ ':from': 'PENDING', ':to': 'RUNNING' }),
      });
    });

    it('ignores a repeated or stale observation without writing', async () => {
      const run = runId();
      for (const state of ['REQUESTED', 'PENDING', 'RUNNING', 'SSM_ONLINE', 'IN_USE'] as const)
        await db.journal.recordHostState(run, seen(state));
      const send = vi.spyOn(db.doc, 'send');

      await expect(db.journal.recordHostState(run, seen('IN_USE'))).resolves.toBeUndefined();
      await expect(db.journal.recordHostState(run, seen('PENDING'))).resolves.toBeUndefined();

      expect(send.mock.calls.filter(([c]) => c instanceof UpdateCommand || c instanceof PutCommand)).toEqual(
        [],
      );
      const [record] = await db.journal.listHostRecords(run);
      expect(record?.history).toHaveLength(5);
    });

    it('refuses a move the lifecycle forbids and leaves the record as it was', async () => {
      const run = runId();
      for (const state of ['REQUESTED', 'PENDING', 'RUNNING', 'SSM_ONLINE', 'IN_USE'] as const)
        await db.journal.recordHostState(run, seen(state));

      await expect(db.journal.recordHostState(run, seen('TERMINATED'))).rejects.toBeInstanceOf(
        IllegalHostTransitionError,
      );

      const [record] = await db.journal.listHostRecords(run);
      expect(record?.state).toBe('IN_USE');
    });

    it('records a move once when two writers race (finalize and the reconciler ending the same host)', async () => {
      const run = runId();
      for (const state of ['REQUESTED', 'PENDING', 'RUNNING', 'SSM_ONLINE', 'IN_USE'] as const)
        await db.journal.recordHostState(run, seen(state));

      const results = await Promise.all([
        db.journal.recordHostState(run, seen('TERMINATING', { reason: 'run ended FINISHED' })),
        db.journal.recordHostState(run, seen('TERMINATING', { reason: 'orphaned' })),
        db.journal.recordHostState(run, seen('TERMINATING', { reason: 'orphaned' })),
      ]);

      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      const [record] = await db.journal.listHostRecords(run);
      expect(record?.history.filter((h) => h.to === 'TERMINATING')).toHaveLength(1);
    });
  });

  describe('Method: listHostRecords', () => {
    it("lists the run's hosts only, not its other items", async () => {
      const run = runId();
      await db.journal.appendState(run, {
        at: '2026-03-01T10:00:00.000Z',
        seq: 1,
        from: null,
        to: 'INIT',
        reason: 'x',
      });
      await db.journal.recordHostState(run, seen('REQUESTED'));
      await db.journal.recordHostState(
        run,
        seen('REQUESTED', { instanceId: 'i-0fedcba9876543210', name: 'b' }),
      );

      const records = await db.journal.listHostRecords(run);

      expect(records.map((r) => r.instanceId)).toEqual(['i-0123456789abcdef0', 'i-0fedcba9876543210']);
      expect(await db.journal.listStates(run)).toHaveLength(1);
    });
  });
});
