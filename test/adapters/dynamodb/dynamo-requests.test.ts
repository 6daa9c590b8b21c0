/**
 * The exact requests the repositories send: the conditions are the journal's guarantees, so the tests
 * pin them (the behaviour itself is tested against dynalite next to this file).
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoCatalogRepo } from '../../../lib/adapters/dynamodb/catalog-repo.js';
import { DynamoJournalRepo } from '../../../lib/adapters/dynamodb/journal-repo.js';
import { CommandNotFoundError, ConflictError, EngineError } from '../../../lib/core/errors.js';
import type { TaskRecord } from '../../../lib/core/run.js';

const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local' }));
const journal = new DynamoJournalRepo({ client: doc, tableName: 'journal' });
const clock = { now: () => new Date('2026-01-01T00:00:00.000Z'), sleep: async () => {} };
const catalog = new DynamoCatalogRepo({ client: doc, tableName: 'catalog', clock });
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(() => {
  ddb.restore();
});

describe('Class: DynamoJournalRepo', () => {
  describe('Method: recordTaskResult', () => {
    it('updates only a task RUNNING under the same command', async () => {
      // Prepare
      ddb.on(UpdateCommand).resolves({});

      // Act
      await journal.recordTaskResult('r1', {
        workload: 'cpu',
        rep: 2,
        host: 'h1',
        status: 'COMPLETED',
        commandId: 'c1',
        exitCode: 0,
      });

      // Assess
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'journal',
        Key: { pk: 'RUN#r1', sk: 'TASK#cpu#0002#h1' },
        UpdateExpression: 'SET #status = :status, #exitCode = :exitCode',
        ConditionExpression: '#status = :running AND #commandId = :commandId',
        ExpressionAttributeNames: { '#status': 'status', '#commandId': 'commandId', '#exitCode': 'exitCode' },
        ExpressionAttributeValues: {
          ':running': 'RUNNING',
          ':commandId': 'c1',
          ':status': 'COMPLETED',
          ':exitCode': 0,
        },
        ReturnValues: 'ALL_NEW',
      });
    });

    it('returns nothing when the condition fails', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());

      const applied = await journal.recordTaskResult('r1', {
        workload: 'cpu',
        rep: 1,
        host: 'h1',
        status: 'FAILED',
        commandId: 'c1',
      });

      expect(applied).toBeUndefined();
    });
  });

  describe('Method: setCommandProviderIds', () => {
    it('sets the ids only on an existing command and names a missing one CommandNotFoundError', async () => {
      // Prepare: the command's summary is missing
      ddb.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const attempt = journal.setCommandProviderIds('r1', 'a1.repetition.cpu.1', ['ssm-1']);

      // Assess: the exact conditional request, and the typed error naming the command
      await expect(attempt).rejects.toMatchObject({
        constructor: CommandNotFoundError,
        code: 'COMMAND_NOT_FOUND',
        runId: 'r1',
        commandId: 'a1.repetition.cpu.1',
      });
      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'journal',
        Key: { pk: 'RUN#r1', sk: 'CMD#a1.repetition.cpu.1' },
        UpdateExpression: 'SET providerIds = :providerIds',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':providerIds': ['ssm-1'] },
      });
    });
  });

  describe('Method: putTasks', () => {
    const tasks: TaskRecord[] = Array.from({ length: 30 }, (_, i) => ({
      key: `h${i}::cpu::1`,
      host: `h${i}`,
      workload: 'cpu',
      rep: 1,
      status: 'PENDING',
      attempts: 0,
      seed: 's',
    }));

    it('re-sends unprocessed items with backoff until they are written', async () => {
      // Prepare: the first batch is throttled twice
      vi.useFakeTimers();
      const unprocessed = [{ PutRequest: { Item: { pk: 'RUN#r1', sk: 'TASK#cpu#0001#h0' } } }];
      ddb
        .on(BatchWriteCommand)
        .resolvesOnce({ UnprocessedItems: { journal: unprocessed } })
        .resolvesOnce({ UnprocessedItems: { journal: unprocessed } })
        .resolves({});

      // Act
      const done = journal.putTasks('r1', tasks);
      await vi.runAllTimersAsync();
      await done;

      // Assess: 2 batches (25 + 5) and 2 retries of the unprocessed item
      const sizes = ddb
        .commandCalls(BatchWriteCommand)
        .map((c) => c.args[0].input.RequestItems?.journal?.length ?? 0);
      expect(sizes.sort((a, b) => a - b)).toStrictEqual([1, 1, 5, 25]);
    });

    it('gives up with EngineError when DynamoDB keeps throttling', async () => {
      vi.useFakeTimers();
      ddb.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
        UnprocessedItems: input.RequestItems,
      }));

      const done = journal.putTasks('r1', tasks.slice(0, 3));
      const assertion = expect(done).rejects.toBeInstanceOf(EngineError);
      await vi.runAllTimersAsync();
      await assertion;
      expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(8);
    });
  });
});

describe('Class: DynamoJournalRepo, Method: deleteRun', () => {
  it('deletes the runner-id items, then the partition, META last', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({
      Items: [
        { sk: 'CMD#a1.setup', providerIds: ['ssm-1', 'ssm-2'] },
        { sk: 'META' },
        { sk: 'TASK#cpu#0001#h1' },
      ],
    });
    ddb.on(DeleteCommand).resolves({});

    // Act
    const deleted = await journal.deleteRun('r1');

    // Assess
    expect(deleted).toBe(5);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toStrictEqual({
      TableName: 'journal',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'RUN#r1' },
      ProjectionExpression: 'sk, providerIds',
      ConsistentRead: true,
    });
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input)).toStrictEqual([
      { TableName: 'journal', Key: { pk: 'PROVIDER#ssm-1', sk: 'PROVIDER' } },
      { TableName: 'journal', Key: { pk: 'PROVIDER#ssm-2', sk: 'PROVIDER' } },
      { TableName: 'journal', Key: { pk: 'RUN#r1', sk: 'CMD#a1.setup' } },
      { TableName: 'journal', Key: { pk: 'RUN#r1', sk: 'TASK#cpu#0001#h1' } },
      { TableName: 'journal', Key: { pk: 'RUN#r1', sk: 'META' } },
    ]);
  });
});

describe('Class: DynamoCatalogRepo', () => {
  describe('Method: requestStop', () => {
    const request = { requestedAt: 't', requestedBy: 'alice', reason: 'r', force: false };

    it('sets the stop request only on an existing run without one', async () => {
      ddb.on(UpdateCommand).resolves({});

      expect(await catalog.requestStop('r1', request)).toBe(true);

      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'catalog',
        Key: { runId: 'r1' },
        UpdateExpression: 'SET stopRequest = :request, updatedAt = :updatedAt',
        ConditionExpression: 'attribute_exists(runId) AND attribute_not_exists(stopRequest)',
        ExpressionAttributeValues: { ':request': request, ':updatedAt': '2026-01-01T00:00:00.000Z' },
      });
    });

    it('returns false when a request is already recorded', async () => {
      ddb.on(UpdateCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: { runId: 'r1', stopRequest: request } });

      expect(await catalog.requestStop('r1', request)).toBe(false);
      expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'catalog',
        Key: { runId: 'r1' },
        ConsistentRead: true,
      });
    });
  });

  describe('Method: deleteEnded', () => {
    it('deletes the entry only while its state is terminal', async () => {
      ddb.on(DeleteCommand).resolves({});

      await catalog.deleteEnded('r1');

      expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toStrictEqual({
        TableName: 'catalog',
        Key: { runId: 'r1' },
        ConditionExpression: '#state IN (:ended0, :ended1, :ended2, :ended3)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':ended0': 'FINISHED',
          ':ended1': 'FAILED',
          ':ended2': 'ABORTED',
          ':ended3': 'STOP_FAILED',
        },
      });
    });

    it('names the state of a run that is going on again as a ConflictError', async () => {
      ddb.on(DeleteCommand).rejects(conditionFailed());
      ddb.on(GetCommand).resolves({ Item: { runId: 'r1', state: 'INIT' } });

      const deleting = catalog.deleteEnded('r1');

      await expect(deleting).rejects.toBeInstanceOf(ConflictError);
      await expect(deleting).rejects.toThrow('run r1 is INIT again: it was not removed');
    });
  });

  describe('Method: listCreatedBefore', () => {
    it('queries the byCreatedAt index oldest first, below the cutoff, across pages', async () => {
      ddb
        .on(QueryCommand)
        .resolvesOnce({ Items: [{ runId: 'a', gsi1pk: 'RUN' }], LastEvaluatedKey: { runId: 'a' } })
        .resolvesOnce({ Items: [{ runId: 'b', gsi1pk: 'RUN' }] });

      const entries = await catalog.listCreatedBefore('2026-01-01T00:00:00.000Z');

      expect(entries.map((e) => e.runId)).toStrictEqual(['a', 'b']);
      expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toStrictEqual([
        {
          TableName: 'catalog',
          IndexName: 'byCreatedAt',
          KeyConditionExpression: '#gsi1pk = :run AND #createdAt < :cutoff',
          ExpressionAttributeNames: { '#gsi1pk': 'gsi1pk', '#createdAt': 'createdAt' },
          ExpressionAttributeValues: { ':run': 'RUN', ':cutoff': '2026-01-01T00:00:00.000Z' },
          ScanIndexForward: true,
        },
        expect.objectContaining({ ExclusiveStartKey: { runId: 'a' } }),
      ]);
    });
  });

  describe('Method: updateState', () => {
    it('compares and sets the controller state', async () => {
      ddb.on(UpdateCommand).resolves({});

      await catalog.updateState('r1', 'INIT', 'RUNNING_GLOBAL_SETUP', { reason: 'go' });

      expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
        UpdateExpression: 'SET #state = :to, #updatedAt = :updatedAt, #reason = :reason',
        ConditionExpression: '#state = :from',
        ExpressionAttributeValues: { ':from': 'INIT', ':to': 'RUNNING_GLOBAL_SETUP', ':reason': 'go' },
      });
    });
  });
});
