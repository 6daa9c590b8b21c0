import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTables } from '../../../lib/adapters/dynamodb/tables.js';
import {
  createLocalClients,
  type DynaliteServer,
  LOCAL_TABLES,
  startDynalite,
} from '../../../lib/adapters/local/embedded-dynalite.js';
import {
  InProcessDynaliteHandler,
  localRequestSigner,
} from '../../../lib/adapters/local/in-process-dynalite-handler.js';

let server: DynaliteServer;
let inProcess: { client: DynamoDBClient; doc: DynamoDBDocumentClient };
let http: { client: DynamoDBClient; doc: DynamoDBDocumentClient };

beforeAll(async () => {
  server = await startDynalite();
  inProcess = createLocalClients(server.endpoint, { requestHandler: server.inProcess });
  http = createLocalClients(server.endpoint);
  await ensureTables(inProcess.client, LOCAL_TABLES);
});

afterAll(async () => {
  inProcess.client.destroy();
  http.client.destroy();
  await server.close();
});

const TableName = LOCAL_TABLES.journal;
const withoutMetadata = ({ $metadata: _, ...rest }: { $metadata: unknown }) => rest;

describe('Class: InProcessDynaliteHandler', () => {
  it('reads and writes the same items as loopback HTTP to the same server', async () => {
    // Prepare
    for (let i = 1; i <= 3; i += 1) {
      const doc = i % 2 === 0 ? http.doc : inProcess.doc;
      await doc.send(
        new PutCommand({
          TableName,
          Item: { pk: 'RUN#same', sk: `TASK#${i}`, rep: i, tags: ['a', 'é'], metrics: { ops: 1.5 } },
        }),
      );
    }
    const query = new QueryCommand({
      TableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'RUN#same', ':prefix': 'TASK#' },
      ReturnConsumedCapacity: 'TOTAL',
    });

    // Act
    const viaInProcess = await inProcess.doc.send(query);
    const viaHttp = await http.doc.send(query);

    // Assess
    expect(viaInProcess.Items).toHaveLength(3);
    expect(withoutMetadata(viaInProcess)).toEqual(withoutMetadata(viaHttp));
    expect(viaInProcess.$metadata.httpStatusCode).toBe(200);
    expect(viaInProcess.$metadata.requestId).toMatch(/^[A-Z0-9]{52}$/);
  });

  it("surfaces dynalite's errors as the SDK's typed errors, as over HTTP", async () => {
    // Prepare
    await inProcess.doc.send(new PutCommand({ TableName, Item: { pk: 'RUN#err', sk: 'META' } }));
    const conditional = () =>
      new PutCommand({
        TableName,
        Item: { pk: 'RUN#err', sk: 'META' },
        ConditionExpression: 'attribute_not_exists(pk)',
      });

    // Act & Assess
    await expect(inProcess.doc.send(conditional())).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(http.doc.send(conditional())).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(
      inProcess.doc.send(new GetCommand({ TableName: 'no-such-table', Key: { pk: 'x', sk: 'y' } })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      inProcess.doc.send(new GetCommand({ TableName, Key: { pk: 'only-half-a-key' } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('rejects a request whose signal is already aborted without reaching dynalite', async () => {
    const handler = server.inProcess;
    const request = {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: '/',
      headers: {},
      body: '{}',
    };

    await expect(handler.handle(request as never, { abortSignal: { aborted: true } })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('refuses a server that has no request listener', async () => {
    const { createServer } = await import('node:http');

    expect(() => new InProcessDynaliteHandler(createServer())).toThrow(/no request listener/);
  });
});

describe('Object: localRequestSigner', () => {
  it('adds the Authorization and X-Amz-Date headers dynalite checks for, without signing', async () => {
    const request = { headers: {} as Record<string, string> };

    const signed = await localRequestSigner.sign(request as never);

    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/local\/dynamodb\/aws4_request, SignedHeaders=host, Signature=local$/,
    );
    expect(signed.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe('Method: close', () => {
  it('lets the requests in flight finish, then refuses new ones with a clear error instead of crashing', async () => {
    // Prepare: a server of its own, with a burst of writes handed to dynalite
    const own = await startDynalite();
    const clients = createLocalClients(own.endpoint, { requestHandler: own.inProcess });
    await ensureTables(clients.client, LOCAL_TABLES);
    const handle = vi.spyOn(own.inProcess, 'handle');
    const writes = Array.from({ length: 20 }, (_, i) =>
      clients.doc.send(new PutCommand({ TableName, Item: { pk: 'RUN#closing', sk: `TASK#${i}` } })),
    );
    await vi.waitFor(() => expect(handle).toHaveBeenCalledTimes(20));

    // Act
    await own.close();

    // Assess
    await expect(Promise.all(writes)).resolves.toHaveLength(20);
    await expect(
      clients.doc.send(new GetCommand({ TableName, Key: { pk: 'RUN#closing', sk: 'TASK#1' } })),
    ).rejects.toThrow('the local journal database is closed');
    clients.client.destroy();
  });
});
