/**
 * The local database: dynalite (DynamoDB on LevelDB) persisted under `<dataDir>/db`, so the local
 * engine uses the very same DynamoDB repositories as aws.
 *
 * A LevelDB directory can be opened by one process only, so the first process to open the data
 * directory serves it on a loopback port and advertises the endpoint in `<dataDir>/db.lock.json`
 * (`{ pid, endpoint, startedAt }`, written atomically); other processes (`fleetbench stop` from another
 * terminal) find a live lock and connect to that endpoint. A lock whose pid is dead or whose endpoint
 * does not answer is stale and taken over. Starting is serialised by the exclusive creation of
 * `<dataDir>/db.starting`; before starting dynalite the starter also opens LevelDB itself, whose LOCK
 * (an OS lock, released even on kill -9) is the final word on whether another process still holds it:
 * dynalite must never be started on a locked directory, it crashes its process.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EngineError } from '../../core/errors.js';
import { createDocumentClient, ensureTables } from '../dynamodb/tables.js';
import { InProcessDynaliteHandler, localRequestSigner } from './in-process-dynalite-handler.js';
import { isPidAlive } from './process-alive.js';

/** Table names in the local database. */
export const LOCAL_TABLES = { journal: 'fleetbench-journal', catalog: 'fleetbench-catalog' } as const;

export type LocalDatabase = {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Whether this process serves the database (and closing it stops the server). */
  readonly owner: boolean;
  close(): Promise<void>;
};

/** The content of `<dataDir>/db.lock.json`. */
export type DatabaseLock = { readonly pid: number; readonly endpoint: string; readonly startedAt: string };

/** A dynalite server listening on a loopback port. */
export type DynaliteServer = {
  readonly endpoint: string;
  /** Reaches the server from this process without a socket (see in-process-dynalite-handler.ts). */
  readonly inProcess: InProcessDynaliteHandler;
  close(): Promise<void>;
};

type DynaliteOptions = {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
};

// dynalite and its LevelDB binding ship no types; `level` is resolved from dynalite's own dependencies.
const requireFromHere = createRequire(import.meta.url);
const dynalite = requireFromHere('dynalite') as (options: DynaliteOptions) => Server;
const { Level } = createRequire(requireFromHere.resolve('dynalite'))('level') as {
  Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> };
};

const LOCK_FILE = 'db.lock.json';
const STARTING_FILE = 'db.starting';
/** A `db.starting` older than this is abandoned even if its pid is alive (pid reuse). */
const STARTING_STALE_MS = 30_000;
const PROBE_TIMEOUT_MS = 1_000;
const RETRY_DELAY_MS = 50;

/**
 * Opens the local database of `dataDir`: serves it when no live process does (owner), otherwise connects
 * to the process that does. Tables are created by the owner. Close it when done.
 * @example
 * const db = await openLocalDatabase('.fleetbench');
 * const journal = new DynamoJournalRepo({ client: db.doc, tableName: LOCAL_TABLES.journal });
 * // …
 * await db.close();
 */
export async function openLocalDatabase(
  dataDir: string,
  options: { timeoutMs?: number } = {},
): Promise<LocalDatabase> {
  const db = await acquire(dataDir, options);
  return db.owner ? db : withFailover(dataDir, db, options);
}

async function acquire(dataDir: string, options: { timeoutMs?: number }): Promise<LocalDatabase> {
  await mkdir(dataDir, { recursive: true });
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let holder: DatabaseLock | undefined;
  for (;;) {
    const live = await liveLock(dataDir);
    if (live !== undefined) return connect(live.endpoint, false, undefined, async () => {});
    holder = await readLock(dataDir);
    if (await claimStarting(dataDir)) {
      try {
        // Someone may have finished starting between our look at the lock and our claim.
        const started = await liveLock(dataDir);
        if (started !== undefined) return connect(started.endpoint, false, undefined, async () => {});
        if (await levelDbIsFree(join(dataDir, 'db'))) return await serve(dataDir);
      } finally {
        await rm(join(dataDir, STARTING_FILE), { force: true });
      }
    }
    if (Date.now() > deadline) break;
    await sleep(RETRY_DELAY_MS);
  }
  throw new EngineError(
    `the local database in ${dataDir} is held by another process${holder ? ` (pid ${holder.pid})` : ''} that does not answer`,
    { hint: 'stop that fleetbench process, or wait for it to finish, then retry' },
  );
}

/**
 * Starts dynalite on 127.0.0.1 with an ephemeral port; in memory unless `path` is given.
 * @example
 * const server = await startDynalite(); // in memory, for tests
 * const { client, doc } = createLocalClients(server.endpoint);
 */
export async function startDynalite(options: { path?: string } = {}): Promise<DynaliteServer> {
  const server = dynalite({
    ...(options.path === undefined ? {} : { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const inProcess = new InProcessDynaliteHandler(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    inProcess,
    close: async () => {
      // Requests of this process still in dynalite finish first: dynalite throws if its database closes
      // under one, and a late one is refused with a clear error rather than reaching a closed database.
      await inProcess.close();
      await new Promise<void>((resolve, reject) => {
        server.close((err?: Error) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets of other processes must not hold the shutdown.
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * SDK middleware that costs per request and does nothing for dynalite: the logger filters every input and
 * output for a logger that is a no-op, the user agent header is built for AWS's telemetry, recursion
 * detection forwards a Lambda's X-Ray trace id.
 */
const LOCAL_UNUSED_MIDDLEWARE = [
  'loggerMiddleware',
  'getUserAgentMiddleware',
  'recursionDetectionMiddleware',
];

/**
 * SDK clients for a local endpoint: dummy credentials, region `local`, 3 attempts, no SigV4 (dynalite
 * does not verify signatures), none of LOCAL_UNUSED_MIDDLEWARE. Pass the server's `inProcess` handler when this process serves it.
 * @example
 * const server = await startDynalite();
 * const { doc } = createLocalClients(server.endpoint, { requestHandler: server.inProcess });
 */
export function createLocalClients(
  endpoint: string,
  options: { requestHandler?: InProcessDynaliteHandler } = {},
): {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
} {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    signer: localRequestSigner,
    maxAttempts: 3,
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
  });
  for (const name of LOCAL_UNUSED_MIDDLEWARE) client.middlewareStack.remove(name);
  return { client, doc: createDocumentClient(client) };
}

async function serve(dataDir: string): Promise<LocalDatabase> {
  const server = await startDynalite({ path: join(dataDir, 'db') });
  const db = connect(server.endpoint, true, server.inProcess, async () => {
    const lock = await readLock(dataDir);
    if (lock?.pid === process.pid && lock.endpoint === server.endpoint) {
      await rm(join(dataDir, LOCK_FILE), { force: true });
    }
    await server.close();
  });
  try {
    await ensureTables(db.client, LOCAL_TABLES);
    const lock: DatabaseLock = {
      pid: process.pid,
      endpoint: server.endpoint,
      startedAt: new Date().toISOString(),
    };
    const temp = join(dataDir, `${LOCK_FILE}.${process.pid}.${randomUUID()}.tmp`);
    await writeFile(temp, `${JSON.stringify(lock)}\n`);
    await rename(temp, join(dataDir, LOCK_FILE));
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}

function connect(
  endpoint: string,
  owner: boolean,
  inProcess: InProcessDynaliteHandler | undefined,
  stop: () => Promise<void>,
): LocalDatabase {
  const { client, doc } = createLocalClients(endpoint, inProcess ? { requestHandler: inProcess } : {});
  let closing: Promise<void> | undefined;
  return {
    client,
    doc,
    endpoint,
    owner,
    close: () => {
      closing ??= (async () => {
        client.destroy();
        await stop();
      })();
      return closing;
    },
  };
}

/**
 * A connection to another process's server outlives that server when it exits (a `run` ends while
 * `stop --wait` or `events --follow` still read): on a refused connection, acquire the database
 * again — serving it ourselves if nobody else does — and retry the request once.
 */
function withFailover(
  dataDir: string,
  initial: LocalDatabase,
  options: { timeoutMs?: number },
): LocalDatabase {
  let current = initial;
  let switching: Promise<LocalDatabase> | undefined;
  const doc = Object.create(initial.doc) as DynamoDBDocumentClient;
  const send = async (command: Parameters<DynamoDBDocumentClient['send']>[0]): Promise<unknown> => {
    const used = current;
    try {
      return await used.doc.send(command);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw error;
      if (used !== current) return current.doc.send(command);
      switching ??= (async () => {
        await used.close();
        current = await acquire(dataDir, options);
        return current;
      })().finally(() => {
        switching = undefined;
      });
      return (await switching).doc.send(command);
    }
  };
  Object.defineProperty(doc, 'send', { value: send });
  return {
    get client() {
      return current.client;
    },
    doc,
    get endpoint() {
      return current.endpoint;
    },
    get owner() {
      return current.owner;
    },
    close: () => current.close(),
  };
}

/** The lock, if its process is alive and its endpoint answers. */
async function liveLock(dataDir: string): Promise<DatabaseLock | undefined> {
  const lock = await readLock(dataDir);
  if (lock === undefined || !isPidAlive(lock.pid) || !(await answers(lock.endpoint))) return undefined;
  return lock;
}

async function readLock(dataDir: string): Promise<DatabaseLock | undefined> {
  try {
    const lock = JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')) as Partial<DatabaseLock>;
    if (typeof lock.pid !== 'number' || typeof lock.endpoint !== 'string') return undefined;
    return { pid: lock.pid, endpoint: lock.endpoint, startedAt: String(lock.startedAt) };
  } catch {
    // Missing or unreadable: there is no usable lock (the rename makes a half-written one impossible).
    return undefined;
  }
}

async function answers(endpoint: string): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), {
      abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** Creates `db.starting` exclusively; breaks an abandoned one (dead pid, or too old) for the next try. */
async function claimStarting(dataDir: string): Promise<boolean> {
  const path = join(dataDir, STARTING_FILE);
  try {
    const file = await open(path, 'wx');
    try {
      await file.writeFile(String(process.pid));
    } finally {
      await file.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = Number.parseInt(content, 10);
    const age = Date.now() - info.mtimeMs;
    // An empty file is a starter between create and write, unless it has been empty for long.
    const abandoned = Number.isNaN(pid)
      ? age > STARTING_STALE_MS
      : !isPidAlive(pid) || age > STARTING_STALE_MS;
    if (abandoned) await unlink(path);
  } catch {
    // Gone meanwhile: the next try claims it.
  }
  return false;
}

/** Whether LevelDB's own LOCK on `path` is free (no other process, nor this one, has it open). */
async function levelDbIsFree(path: string): Promise<boolean> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') return false;
    throw err;
  }
  await db.close();
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
