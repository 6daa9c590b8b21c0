import { CreateTableCommand, DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  catalogTableSchema,
  ensureTables,
  journalTableSchema,
} from '../../../lib/adapters/dynamodb/tables.js';
import {
  createLocalClients,
  type DynaliteServer,
  startDynalite,
} from '../../../lib/adapters/local/embedded-dynalite.js';

const names = { journal: 'journal', catalog: 'catalog' };
let server: DynaliteServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function freshClient() {
  server = await startDynalite();
  return createLocalClients(server.endpoint).client;
}

describe('Function: ensureTables', () => {
  it('creates both tables with their keys and the byCreatedAt index, ACTIVE', async () => {
    const client = await freshClient();

    await ensureTables(client, names);

    const journal = (await client.send(new DescribeTableCommand({ TableName: 'journal' }))).Table;
    const catalog = (await client.send(new DescribeTableCommand({ TableName: 'catalog' }))).Table;
    expect(journal?.TableStatus).toBe('ACTIVE');
    expect(journal?.KeySchema).toStrictEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(catalog?.KeySchema).toStrictEqual([{ AttributeName: 'runId', KeyType: 'HASH' }]);
    expect(catalog?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'byCreatedAt',
      IndexStatus: 'ACTIVE',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'createdAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });

  it('keeps existing tables and creates only the missing one', async () => {
    const client = await freshClient();
    await client.send(new CreateTableCommand({ ...journalTableSchema, TableName: 'journal' }));

    await ensureTables(client, names);
    await ensureTables(client, names);

    expect((await client.send(new ListTablesCommand({}))).TableNames).toStrictEqual(['catalog', 'journal']);
  });

  it('describes on-demand tables, usable as CreateTable input', () => {
    expect(journalTableSchema.BillingMode).toBe('PAY_PER_REQUEST');
    expect(catalogTableSchema.BillingMode).toBe('PAY_PER_REQUEST');
    expect(catalogTableSchema.AttributeDefinitions.map((a) => a.AttributeName)).toStrictEqual([
      'runId',
      'gsi1pk',
      'createdAt',
    ]);
  });
});
