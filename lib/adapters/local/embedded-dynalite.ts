/**
 * The local database: dynalite (DynamoDB on LevelDB) persisted under `<dataDir>/db`, so the local
 * engine uses the very same DynamoDB repositories as aws.
 *
 * Several fleetbench processes share one data directory (runs started at once, `stop` or `events` from
 * another terminal). The ownership protocol:
 *
 * - One owner. A LevelDB directory can be opened by one process only, so the process that opens it (the
 *   owner) serves it: its own requests in-process, other processes' over HTTP on a loopback port. It
 *   advertises the endpoint in `<dataDir>/db.lock.json` (`{ pid, endpoint, secret, startedAt }`, written
 *   atomically). Starting is serialised by the exclusive creation of `<dataDir>/db.starting`; before
 *   starting dynalite the starter also opens LevelDB itself, whose LOCK (an OS lock, released even on
 *   kill -9) is the final word on whether another process still holds it: dynalite must never be started
 *   on a locked directory, it crashes its process. A lock whose pid is dead or whose endpoint does not
 *   answer is stale and taken over.
 * - Only the data directory's owner gets in. The data directory is created owner-only (0700) and the lock
 *   file is owner-only (0600); the lock carries a random per-owner secret that every HTTP request must
 *   carry in `x-fleetbench-secret`. A request without it is refused (403 AccessDeniedException) before
 *   dynalite sees it, so another local user can neither read results nor rewrite a plan.
 * - Hand-over, never a database closed under someone. An owner whose command ends first removes the lock,
 *   then answers every new request with 503 and `x-fleetbench-handover` (dynalite never sees it), lets the
 *   requests in flight finish and answer, and only then closes the server and LevelDB.
 * - Every request ends in an answer from dynalite. Each process sends its requests through a failover
 *   handler: a request answered "handed over", refused (the server is gone) or reset without an answer is
 *   sent again to whoever owns the database now — acquiring it again, which may make this process the new
 *   owner. Refused and handed-over requests were never executed; a reset one was cut by an owner that died,
 *   and its re-send meets the journal's conditional writes, which take their own earlier write for success.
 *   A client never cuts its own requests: a route it leaves is closed once the answers on it have arrived. Closing a process's database closes its own
 *   sockets, or hands over when it owns it; no process closes the database for another.
 *
 * Damage: LevelDB errors that say the files are corrupt (at open or on a read) become DatabaseDamagedError,
 * which names the directory and the way out (`fleetbench doctor`).
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EngineError } from '../../core/errors.js';
import { createDocumentClient, ensureTables } from '../dynamodb/tables.js';
import { checkLevelDb, damagedBy, isCorruption, trimTornLogTail } from './database-damage.js';
import {
  HandlerClosedError,
  InProcessDynaliteHandler,
  localRequestSigner,
} from './in-process-dynalite-handler.js';
import { isPidAlive } from './process-alive.js';
import { answerStorageFaults, takeWriteFault } from './storage-faults.js';

/** Table names in the local database. */
export const LOCAL_TABLES = { journal: 'fleetbench-journal', catalog: 'fleetbench-catalog' } as const;

export type LocalDatabase = {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** `http://127.0.0.1:<port>` of the process serving the database now. */
  readonly endpoint: string;
  /** Whether this process serves the database now (and closing it hands the database over). */
  readonly owner: boolean;
  close(): Promise<void>;
};

/** The content of `<dataDir>/db.lock.json`. */
export type DatabaseLock = {
  readonly pid: number;
  readonly endpoint: string;
  /** What every HTTP request must carry in `x-fleetbench-secret`. */
  readonly secret: string;
  readonly startedAt: string;
};

/** A dynalite server listening on a loopback port. */
export type DynaliteServer = {
  readonly endpoint: string;
  /** Reaches the server from this process without a socket (see in-process-dynalite-handler.ts). */
  readonly inProcess: InProcessDynaliteHandler;
  close(): Promise<void>;
};

/** The data directory (`--data-dir`, FLEETBENCH_HOME) cannot be used as one. */
export class DataDirError extends EngineError {
  override readonly exitCode = 2;
}

type DynaliteOptions = {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
};

type RequestHandler = DynamoDBClient['config']['requestHandler'];
type HttpRequest = Parameters<RequestHandler['handle']>[0];
type HandlerOptions = Parameters<RequestHandler['handle']>[1];
type HandlerOutput = Awaited<ReturnType<RequestHandler['handle']>>;
type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Where this process sends its requests now: its own server in-process, or another process's over HTTP. */
type Route = {
  readonly endpoint: string;
  readonly owner: boolean;
  handle(request: HttpRequest, options?: HandlerOptions): Promise<HandlerOutput>;
  /** Closes this process's side: its sockets, or, for its own server, hands the database over. */
  release(): Promise<void>;
};

// dynalite and its LevelDB binding ship no types; `level` is resolved from dynalite's own dependencies.
const requireFromHere = createRequire(import.meta.url);
const dynalite = requireFromHere('dynalite') as (options: DynaliteOptions) => Server;
const { Level } = createRequire(requireFromHere.resolve('dynalite'))('level') as {
  Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> };
};
// Before any dynalite opens a directory: a storage fault is answered to its request, never thrown.
answerStorageFaults(Level);

const LOCK_FILE = 'db.lock.json';
const STARTING_FILE = 'db.starting';
/** The header every HTTP request to a served database carries the lock's secret in. */
export const SECRET_HEADER = 'x-fleetbench-secret';
const HANDOVER_HEADER = 'x-fleetbench-handover';
/** A `db.starting` older than this is abandoned even if its pid is alive (pid reuse). */
const STARTING_STALE_MS = 30_000;
const PROBE_TIMEOUT_MS = 1_000;
const RETRY_DELAY_MS = 50;
const DEFAULT_TIMEOUT_MS = 15_000;
/** How long a released route waits for the answers of requests still on it before it cuts them. */
const RELEASE_WAIT_MS = 5_000;
/** Errors of a request that never reached dynalite, or whose owner went away before answering. */
const NOT_SERVED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const DYNALITE_TIMINGS = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };

/**
 * Opens the local database of `dataDir`: serves it when no live process does (owner), otherwise connects
 * to the process that does, and follows the database wherever it moves (see the module comment). Tables
 * are created by the owner. Close it when done.
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
  const handler = new FailoverHandler(dataDir, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const first = await handler.current();
  const { client, doc } = createLocalClients(first.endpoint, { requestHandler: handler });
  let closing: Promise<void> | undefined;
  return {
    client,
    doc,
    get endpoint() {
      return handler.endpoint ?? first.endpoint;
    },
    get owner() {
      return handler.owner;
    },
    close: () => {
      closing ??= handler.close().finally(() => client.destroy());
      return closing;
    },
  };
}

/**
 * The request handler of every local database client: sends each request to the current owner and,
 * when the owner went away without answering, again to the next one (see the module comment).
 */
class FailoverHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private route: Route | undefined;
  private acquiring: Promise<Route> | undefined;
  private closed = false;

  constructor(
    private readonly dataDir: string,
    private readonly timeoutMs: number,
  ) {}

  get endpoint(): string | undefined {
    return this.route?.endpoint;
  }

  get owner(): boolean {
    return this.route?.owner === true;
  }

  async handle(request: HttpRequest, options?: HandlerOptions): Promise<HandlerOutput> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (this.closed) throw new HandlerClosedError('the local journal database is closed');
      const route = await this.current();
      try {
        const output = await route.handle(request, options);
        if (output.response.headers[HANDOVER_HEADER] === undefined) return output;
        discard(output.response.body);
      } catch (error) {
        if (!notServed(error)) throw error;
      }
      await this.forget(route);
      if (Date.now() > deadline) {
        throw new EngineError(`the local database in ${this.dataDir} kept moving between processes`, {
          hint: 'retry; if it persists, stop the other fleetbench processes using this data directory',
        });
      }
    }
  }

  /** The route to the owner, acquiring the database when there is none. */
  current(): Promise<Route> {
    if (this.route !== undefined) return Promise.resolve(this.route);
    this.acquiring ??= acquire(this.dataDir, this.timeoutMs)
      .then((route) => {
        this.route = route;
        return route;
      })
      .finally(() => {
        this.acquiring = undefined;
      });
    return this.acquiring;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.acquiring?.catch(() => undefined);
    const route = this.route;
    this.route = undefined;
    await route?.release();
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}

  private async forget(route: Route): Promise<void> {
    if (this.route !== route) return;
    this.route = undefined;
    await route.release();
  }
}

function notServed(error: unknown): boolean {
  if (error instanceof HandlerClosedError) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && NOT_SERVED_CODES.has(code);
}

function discard(body: unknown): void {
  (body as { resume?: () => void } | undefined)?.resume?.();
}

async function acquire(dataDir: string, timeoutMs: number): Promise<Route> {
  await createDataDir(dataDir);
  const deadline = Date.now() + timeoutMs;
  let holder: DatabaseLock | undefined;
  for (;;) {
    const live = await liveLock(dataDir);
    if (live !== undefined) return remoteRoute(live);
    holder = await readLock(dataDir);
    if (await claimStarting(dataDir)) {
      try {
        // Someone may have finished starting between our look at the lock and our claim.
        const started = await liveLock(dataDir);
        if (started !== undefined) return remoteRoute(started);
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

/** Creates the data directory owner-only; a path that is not a directory is a clear error. */
async function createDataDir(dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
    throw new DataDirError(`the data directory ${dataDir} is not a directory`, {
      hint: 'point FLEETBENCH_HOME or --data-dir at a directory; fleetbench creates it when missing',
    });
  }
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
    ...DYNALITE_TIMINGS,
  });
  await listen(server);
  const inProcess = new InProcessDynaliteHandler(server);
  return {
    endpoint: endpointOf(server),
    inProcess,
    close: async () => {
      // Requests of this process still in dynalite finish first: dynalite throws if its database closes
      // under one, and a late one is refused with a clear error rather than reaching a closed database.
      await inProcess.close();
      await closeServer(server);
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
  options: { requestHandler?: RequestHandler } = {},
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

/** Serves the data directory's LevelDB: dynalite behind the secret check, the tables, then the lock. */
async function serve(dataDir: string): Promise<Route> {
  const secret = randomBytes(32).toString('hex');
  const dbPath = join(dataDir, 'db');
  const server = dynalite({ path: dbPath, ...DYNALITE_TIMINGS });
  const dynaliteListener = server.listeners('request')[0] as Listener;
  server.removeAllListeners('request');
  const inProcess = new InProcessDynaliteHandler(server, dynaliteListener);
  const gate = new Gate(secret, dynaliteListener);
  server.on('request', gate.listener);
  await listen(server);
  const endpoint = endpointOf(server);
  let released: Promise<void> | undefined;
  const route: Route = {
    endpoint,
    owner: true,
    handle: (request, options) => inProcess.handle(request, options),
    release: () => {
      released ??= (async () => {
        gate.handingOver = true;
        const lock = await readLock(dataDir);
        if (lock?.pid === process.pid && lock.endpoint === endpoint) {
          await rm(join(dataDir, LOCK_FILE), { force: true });
        }
        await Promise.all([inProcess.close(), gate.idle()]);
        await closeServer(server);
        // A write that failed under this owner (a full disk) may have left the start of its record in the
        // log: cut it, so the next open does not take it for damage (database-damage.ts).
        if (takeWriteFault(dbPath)) await trimTornLogTail(dbPath);
      })();
      return released;
    },
  };
  try {
    const { client } = createLocalClients(endpoint, { requestHandler: inProcess });
    try {
      await ensureTables(client, LOCAL_TABLES);
    } finally {
      client.destroy();
    }
    const lock: DatabaseLock = { pid: process.pid, endpoint, secret, startedAt: new Date().toISOString() };
    const temp = join(dataDir, `${LOCK_FILE}.${process.pid}.${randomUUID()}.tmp`);
    await writeFile(temp, `${JSON.stringify(lock)}\n`, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, join(dataDir, LOCK_FILE));
  } catch (err) {
    await route.release();
    throw isCorruption(err) ? damagedBy(dbPath, err) : err;
  }
  return route;
}

/**
 * What stands between the loopback port and dynalite: refuses requests without the secret, answers
 * "handed over" once the owner is leaving, and counts the requests dynalite is answering.
 */
class Gate {
  handingOver = false;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private readonly expected: Buffer;

  constructor(
    secret: string,
    private readonly dynalite: Listener,
  ) {
    this.expected = Buffer.from(secret);
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.handingOver) {
      refuse(res, 503, 'ServiceUnavailable', 'the database is being handed over', { [HANDOVER_HEADER]: '1' });
      return;
    }
    const given = Buffer.from(String(req.headers[SECRET_HEADER] ?? ''));
    if (given.length !== this.expected.length || !timingSafeEqual(given, this.expected)) {
      refuse(
        res,
        403,
        'AccessDeniedException',
        "this fleetbench database is served to its data directory's owner only: a request must carry the secret of db.lock.json",
      );
      return;
    }
    this.inFlight++;
    res.once('close', () => {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.waiters.splice(0)) wake();
    });
    this.dynalite(req, res);
  };

  /** Resolves when dynalite has answered every request it was given. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * A route to another process's server over loopback HTTP, carrying its secret. Releasing it closes its
 * sockets only once the requests still on them have their answers (bodies included): one request told
 * "handed over" must not cut another whose write the old owner is executing, or that write would be sent
 * again and meet its own condition. A request that gets no answer within RELEASE_WAIT_MS is cut anyway.
 */
function remoteRoute(lock: DatabaseLock): Route {
  const url = new URL(lock.endpoint);
  const http = new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) });
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) drained?.();
  };
  return {
    endpoint: lock.endpoint,
    owner: false,
    handle: async (request, options) => {
      inFlight += 1;
      try {
        const output = await http.handle(
          {
            ...request,
            protocol: url.protocol,
            hostname: url.hostname,
            port: Number(url.port),
            headers: { ...request.headers, [SECRET_HEADER]: lock.secret },
          } as HttpRequest,
          options,
        );
        const body = output.response.body as Readable | undefined;
        if (body === undefined || body.closed) settle();
        else body.once('close', settle);
        return output;
      } catch (error) {
        settle();
        throw error;
      }
    },
    release: async () => {
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, RELEASE_WAIT_MS).unref();
        });
      }
      http.destroy();
    },
  };
}

function refuse(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
    ...headers,
  });
  res.end(body);
}

async function listen(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function endpointOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server and its LevelDB; no request is in dynalite any more when this is called. */
async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.close((err?: Error) => (err ? reject(err) : resolve()));
    // Keep-alive sockets of other processes, idle now, must not hold the shutdown.
    server.closeAllConnections();
  });
}

/** The lock, if its process is alive and its endpoint serves. */
async function liveLock(dataDir: string): Promise<DatabaseLock | undefined> {
  const lock = await readLock(dataDir);
  if (lock === undefined || !isPidAlive(lock.pid) || !(await answers(lock))) return undefined;
  return lock;
}

async function readLock(dataDir: string): Promise<DatabaseLock | undefined> {
  try {
    const lock = JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')) as Partial<DatabaseLock>;
    if (typeof lock.pid !== 'number' || typeof lock.endpoint !== 'string' || typeof lock.secret !== 'string')
      return undefined;
    return { pid: lock.pid, endpoint: lock.endpoint, secret: lock.secret, startedAt: String(lock.startedAt) };
  } catch {
    // Missing or unreadable: there is no usable lock (the rename makes a half-written one impossible).
    return undefined;
  }
}

/** Whether the lock's server serves: it takes the secret and is not handing the database over. */
async function answers(lock: DatabaseLock): Promise<boolean> {
  const route = remoteRoute(lock);
  const probe: RequestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    handle: async (request, options) => {
      const output = await route.handle(request, options);
      if (output.response.headers[HANDOVER_HEADER] === undefined) return output;
      discard(output.response.body);
      throw new EngineError('the database is being handed over');
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  const { client } = createLocalClients(lock.endpoint, { requestHandler: probe });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), {
      abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      requestTimeout: PROBE_TIMEOUT_MS,
    });
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
    await route.release();
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

/**
 * Whether LevelDB's own LOCK on `path` is free (no other process, nor this one, has it open). Its files
 * are checked for damage first: opening LevelDB replays its log and drops the records it cannot read, so
 * damage found after the open would already be data lost without a word.
 */
async function levelDbIsFree(path: string): Promise<boolean> {
  await checkLevelDb(path);
  const db = new Level(path);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') return false;
    if (isCorruption(err)) throw damagedBy(path, err);
    throw err;
  }
  await db.close();
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
