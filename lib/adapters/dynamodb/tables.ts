/**
 * The two DynamoDB tables as data: the journal (one partition per run) and the catalog (one item per
 * run, listed newest first through the `byCreatedAt` index). The CDK stack and the local engine read the
 * same schemas, so the key layout the repositories rely on is written down exactly once.
 */
import {
  type AttributeDefinition,
  type BillingMode,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { EngineError } from '../../core/errors.js';

/** A table definition without its name (names differ per stack and per local data directory). */
export type TableSchema = Omit<
  CreateTableCommandInput,
  'TableName' | 'AttributeDefinitions' | 'KeySchema' | 'BillingMode'
> & {
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  BillingMode: BillingMode;
};

/** Key attribute names, for code that builds keys (repositories) or key schemas (CDK). */
export const JOURNAL_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const CATALOG_KEYS = {
  partitionKey: 'runId',
  byCreatedAt: {
    indexName: 'byCreatedAt',
    partitionKey: 'gsi1pk',
    sortKey: 'createdAt',
    partitionValue: 'RUN',
  },
} as const;

/** Journal: `pk = RUN#<runId>`, `sk = META | TASK#… | CMD#… | STATE#…` (DESIGN.md, "Data model"). */
export const journalTableSchema: TableSchema = {
  AttributeDefinitions: [
    { AttributeName: JOURNAL_KEYS.partitionKey, AttributeType: 'S' },
    { AttributeName: JOURNAL_KEYS.sortKey, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: JOURNAL_KEYS.partitionKey, KeyType: 'HASH' },
    { AttributeName: JOURNAL_KEYS.sortKey, KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

/**
 * Catalog: `runId` is the key; every item also carries `gsi1pk = "RUN"` so that the `byCreatedAt`
 * index holds all runs in one partition sorted by `createdAt` (a catalog is small: one item per run).
 */
export const catalogTableSchema: TableSchema = {
  AttributeDefinitions: [
    { AttributeName: CATALOG_KEYS.partitionKey, AttributeType: 'S' },
    { AttributeName: CATALOG_KEYS.byCreatedAt.partitionKey, AttributeType: 'S' },
    { AttributeName: CATALOG_KEYS.byCreatedAt.sortKey, AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: CATALOG_KEYS.partitionKey, KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    {
      IndexName: CATALOG_KEYS.byCreatedAt.indexName,
      KeySchema: [
        { AttributeName: CATALOG_KEYS.byCreatedAt.partitionKey, KeyType: 'HASH' },
        { AttributeName: CATALOG_KEYS.byCreatedAt.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

/**
 * How every fleetbench DynamoDBDocumentClient marshals: optional record fields that are `undefined`
 * are left out instead of failing the write. The repositories rely on it.
 */
export const documentTranslateConfig: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true },
};

/**
 * Wraps a DynamoDBClient in the document client the repositories expect.
 * @example
 * const doc = createDocumentClient(new DynamoDBClient({}));
 * const journal = new DynamoJournalRepo({ client: doc, tableName: 'fleetbench-journal' });
 */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, documentTranslateConfig);
}

/**
 * Creates the journal and catalog tables when missing and waits until they (and their indexes) are
 * ACTIVE. Used by the local engine; on aws the stack owns the tables.
 * @example
 * await ensureTables(client, { journal: 'fleetbench-journal', catalog: 'fleetbench-catalog' });
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: { journal: string; catalog: string },
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  await Promise.all([
    ensureTable(client, names.journal, journalTableSchema, timeoutMs),
    ensureTable(client, names.catalog, catalogTableSchema, timeoutMs),
  ]);
}

async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  schema: TableSchema,
  timeoutMs: number,
): Promise<void> {
  let table = await describe(client, tableName);
  // Every local command opens the database: a table already there and ACTIVE needs no second look.
  if (table !== undefined && isActive(table)) return;
  if (table === undefined) {
    try {
      await client.send(new CreateTableCommand({ ...schema, TableName: tableName }));
    } catch (err) {
      // Another process created it between our describe and create: fine, wait for it below.
      if (!(err instanceof Error && err.name === 'ResourceInUseException')) throw err;
    }
  }
  const deadline = Date.now() + timeoutMs;
  // The embedded database activates a table within a few milliseconds: the first waits are short.
  for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    table = await describe(client, tableName);
    if (table !== undefined && isActive(table)) return;
    if (Date.now() + delayMs > deadline) {
      throw new EngineError(`table ${tableName} did not become ACTIVE within ${timeoutMs} ms`, {
        hint: 'check the DynamoDB endpoint and retry',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

function isActive(table: TableDescription): boolean {
  return (
    table.TableStatus === 'ACTIVE' &&
    (table.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE')
  );
}
