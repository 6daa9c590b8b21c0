/**
 * A throwaway in-memory dynalite with the journal and catalog tables, for tests of any module that
 * needs the real repositories (use cases, engine, CLI). Each call starts its own server, so test files
 * running in parallel never share data.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCatalogRepo } from '../../lib/adapters/dynamodb/catalog-repo.js';
import { DynamoJournalRepo } from '../../lib/adapters/dynamodb/journal-repo.js';
import { ensureTables } from '../../lib/adapters/dynamodb/tables.js';
import {
  createLocalClients,
  LOCAL_TABLES,
  startDynalite,
} from '../../lib/adapters/local/embedded-dynalite.js';
import type { Clock } from '../../lib/core/ports.js';

export type TestDynalite = {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly endpoint: string;
  readonly tableNames: typeof LOCAL_TABLES;
  readonly journal: DynamoJournalRepo;
  readonly catalog: DynamoCatalogRepo;
  stop(): Promise<void>;
};

/**
 * @example
 * let db: TestDynalite;
 * beforeAll(async () => { db = await startTestDynalite(); });
 * afterAll(() => db.stop());
 */
export async function startTestDynalite(options: { clock?: Clock } = {}): Promise<TestDynalite> {
  const server = await startDynalite();
  const { client, doc } = createLocalClients(server.endpoint);
  await ensureTables(client, LOCAL_TABLES);
  return {
    client,
    doc,
    endpoint: server.endpoint,
    tableNames: LOCAL_TABLES,
    journal: new DynamoJournalRepo({ client: doc, tableName: LOCAL_TABLES.journal }),
    catalog: new DynamoCatalogRepo({
      client: doc,
      tableName: LOCAL_TABLES.catalog,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    }),
    stop: async () => {
      client.destroy();
      await server.close();
    },
  };
}
