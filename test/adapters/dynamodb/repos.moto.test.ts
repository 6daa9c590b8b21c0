/**
 * Contract of the DynamoDB repositories with DynamoDB as moto 5.2.1 plays it (the local target runs them on
 * dynalite; this is the second implementation they must agree with). The tables are created from the
 * CloudFormation properties the stack's RunTables construct synthesizes — keys, index, billing, encryption,
 * point-in-time recovery — and the real repositories write and read them through the real SDK clients, their
 * condition expressions included.
 *
 * Nothing the repositories use is missing from moto; what moto cannot show is capacity: throttling and the
 * 1 MB page limit under real item sizes (journal-repo.test.ts reads every page on dynalite).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalogRepo } from '../../../lib/adapters/dynamodb/catalog-repo.js';
import { DynamoJournalRepo } from '../../../lib/adapters/dynamodb/journal-repo.js';
import { CATALOG_KEYS, createDocumentClient } from '../../../lib/adapters/dynamodb/tables.js';
import { ConflictError } from '../../../lib/core/errors.js';
import { validatePlanObject } from '../../../lib/core/plan.js';
import { plugins } from '../../../lib/core/plugins/index.js';
import type { CatalogEntry, RunMeta, TaskRecord } from '../../../lib/core/run.js';
import { emptyCounts } from '../../../lib/core/task-state.js';
import { RunTables } from '../../../lib/infra/run-tables.js';
import { type MotoServer, startMotoServer } from '../../support/moto-server.js';

type CfnTable = {
  Properties: {
    KeySchema: CreateTableCommandInput['KeySchema'];
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    BillingMode: CreateTableCommandInput['BillingMode'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    SSESpecification?: { SSEEnabled: boolean };
    PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled: boolean };
  };
};

let moto: MotoServer;
let journal: DynamoJournalRepo;
let catalog: DynamoCatalogRepo;
const names = { journal: 'Fleetbench-TablesJournal', catalog: 'Fleetbench-TablesCatalog' };

/**
 * Each table as CloudFormation would create it from the RunTables construct: the synthesized properties
 * become the CreateTable request, and point-in-time recovery its UpdateContinuousBackups.
 */
async function createTablesFromConstruct(): Promise<void> {
  const stack = new Stack(new App(), 'Fleetbench');
  const tables = new RunTables(stack, 'Tables');
  const resources = Template.fromStack(stack).findResources('AWS::DynamoDB::Table') as Record<
    string,
    CfnTable
  >;
  const byId = {
    journal: stack.getLogicalId(tables.journal.node.defaultChild as never),
    catalog: stack.getLogicalId(tables.catalog.node.defaultChild as never),
  };
  for (const which of ['journal', 'catalog'] as const) {
    const table = resources[byId[which]];
    if (!table) throw new Error(`RunTables synthesized no ${which} table`);
    const p = table.Properties;
    await moto.clients.dynamo.send(
      new CreateTableCommand({
        TableName: names[which],
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        BillingMode: p.BillingMode,
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
        ...(p.SSESpecification ? { SSESpecification: { Enabled: p.SSESpecification.SSEEnabled } } : {}),
      }),
    );
    await moto.clients.dynamo.send(
      new UpdateContinuousBackupsCommand({
        TableName: names[which],
        PointInTimeRecoverySpecification: {
          PointInTimeRecoveryEnabled: p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled ?? false,
        },
      }),
    );
  }
}

const plan = validatePlanObject(
  {
    name: 'contract',
    hosts: { instanceIds: ['i-0123456789abcdef0'] },
    repetitions: 2,
    workloads: [{ name: 'cpu', plugin: 'shell', options: { command: 'true' } }],
  },
  'contract plan',
  plugins,
);

const newRunId = () => `contract-${randomUUID().slice(0, 8)}`;

function entry(runId: string, createdAt: string): CatalogEntry {
  return {
    runId,
    name: 'contract',
    state: 'INIT',
    target: 'aws',
    hosts: ['host-1'],
    workloads: ['cpu'],
    counts: { ...emptyCounts(), pending: 2 },
    createdAt,
    updatedAt: createdAt,
  };
}

function meta(runId: string): RunMeta {
  return {
    runId,
    plan,
    planHash: 'hash',
    target: 'aws',
    hosts: [{ id: 'i-0123456789abcdef0', name: 'host-1' }],
    excludedHosts: [],
    attempt: 1,
    createdAt: '2026-12-06T05:00:00.000Z',
    updatedAt: '2026-12-06T05:00:00.000Z',
  };
}

function tasks(count: number): TaskRecord[] {
  return Array.from({ length: count }, (_, n) => {
    const host = `host-${String(n + 1).padStart(3, '0')}`;
    return {
      key: `${host}::cpu::1`,
      host,
      workload: 'cpu',
      rep: 1,
      status: 'PENDING',
      attempts: 0,
      seed: `s${n}`,
    };
  });
}

beforeAll(async () => {
  moto = await startMotoServer();
  await createTablesFromConstruct();
  const doc = createDocumentClient(moto.clients.dynamo);
  journal = new DynamoJournalRepo({ client: doc, tableName: names.journal });
  catalog = new DynamoCatalogRepo({ client: doc, tableName: names.catalog });
});

afterAll(async () => {
  await moto?.stop();
});

describe('The tables RunTables defines, created on moto', () => {
  it('have the keys and index of the schemas the repositories use, on demand, encrypted, recoverable', async () => {
    const table = async (name: string) =>
      (await moto.clients.dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
    const backups = await moto.clients.dynamo.send(
      new DescribeContinuousBackupsCommand({ TableName: names.journal }),
    );

    const [j, c] = [await table(names.journal), await table(names.catalog)];

    expect(j?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(c?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema])).toEqual([
      [
        CATALOG_KEYS.byCreatedAt.indexName,
        [
          { AttributeName: CATALOG_KEYS.byCreatedAt.partitionKey, KeyType: 'HASH' },
          { AttributeName: CATALOG_KEYS.byCreatedAt.sortKey, KeyType: 'RANGE' },
        ],
      ],
    ]);
    expect(j?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(j?.SSEDescription?.Status).toBe('ENABLED');
    expect(
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
    ).toBe('ENABLED');
  });
});

describe('Class: DynamoCatalogRepo on moto', () => {
  it('creates an entry once and lists entries newest first through the byCreatedAt index', async () => {
    const [older, newer] = [newRunId(), newRunId()];
    await catalog.create(entry(older, '2026-12-06T05:00:00.000Z'));
    await catalog.create(entry(newer, '2026-12-06T05:00:01.000Z'));

    const listed = (await catalog.list()).map((e) => e.runId).filter((id) => id === older || id === newer);

    expect(listed).toEqual([newer, older]);
    await expect(catalog.create(entry(older, '2026-12-06T05:00:02.000Z'))).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await catalog.get(older)).toStrictEqual(entry(older, '2026-12-06T05:00:00.000Z'));
  });

  it('records the first stop request of a run and keeps it against later ones', async () => {
    const runId = newRunId();
    await catalog.create(entry(runId, '2026-12-06T05:00:03.000Z'));
    const first = {
      requestedAt: '2026-12-06T05:01:00.000Z',
      requestedBy: 'cli:alice',
      reason: 'enough',
      force: false,
    };

    const recorded = [
      await catalog.requestStop(runId, first),
      await catalog.requestStop(runId, { ...first, requestedBy: 'cli:bob' }),
    ];

    expect(recorded).toEqual([true, false]);
    expect((await catalog.get(runId))?.stopRequest).toEqual(first);
  });
});

describe('Class: DynamoJournalRepo on moto', () => {
  it('creates a run once and reads its META back', async () => {
    const runId = newRunId();

    await journal.createRun(meta(runId));

    expect(await journal.getRun(runId)).toStrictEqual(meta(runId));
    await expect(journal.createRun(meta(runId))).rejects.toBeInstanceOf(ConflictError);
  });

  it('writes 60 tasks in batches, marks them RUNNING, and records a result only once', async () => {
    const runId = newRunId();
    const all = tasks(60);
    await journal.putTasks(runId, all);
    await journal.markRunning(runId, all, 'a1.repetition.cpu.1', '2026-12-06T05:01:00.000Z');
    const result = {
      workload: 'cpu',
      rep: 1,
      host: 'host-001',
      status: 'COMPLETED',
      commandId: 'a1.repetition.cpu.1',
      finishedAt: '2026-12-06T05:02:00.000Z',
      durationMs: 60_000,
      exitCode: 0,
      metrics: [{ name: 'ops', value: 42, unit: 'ops/s' }],
      outputRef: 's3://bucket/runs/x/outputs/a1.repetition.cpu.1/stdout',
    } as const;

    const first = await journal.recordTaskResult(runId, result);
    const duplicate = await journal.recordTaskResult(runId, result);

    expect((await journal.listTasks(runId)).map((t) => t.status)).toEqual([
      'COMPLETED',
      ...Array(59).fill('RUNNING'),
    ]);
    expect(first?.status).toBe('COMPLETED');
    expect(duplicate).toBeUndefined();
  });

  it('keeps the audit trail in order and refuses to overwrite a record', async () => {
    const runId = newRunId();
    const states = [
      { at: '2026-12-06T05:00:00.000Z', seq: 1, from: null, to: 'INIT', reason: 'run created' },
      { at: '2026-12-06T05:00:01.000Z', seq: 2, from: 'INIT', to: 'RUNNING_GLOBAL_SETUP', reason: 'started' },
    ] as const;

    for (const s of [...states].reverse()) await journal.appendState(runId, s);

    expect(await journal.listStates(runId)).toStrictEqual(states);
    await expect(journal.appendState(runId, states[0])).rejects.toBeInstanceOf(ConflictError);
  });
});
