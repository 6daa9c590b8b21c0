import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLocalClients,
  type DatabaseLock,
  DataDirError,
  LOCAL_TABLES,
  type LocalDatabase,
  openLocalDatabase,
  SECRET_HEADER,
} from '../../../lib/adapters/local/embedded-dynalite.js';
import { InProcessDynaliteHandler } from '../../../lib/adapters/local/in-process-dynalite-handler.js';
import { DatabaseDamagedError, EngineError } from '../../../lib/core/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MODULE = new URL('../../../lib/adapters/local/embedded-dynalite.ts', import.meta.url).href;

/**
 * A child process that opens the database, writes `{pk: name, sk: 'ITEM'}`, prints whether it serves
 * it, and closes the database when its stdin ends.
 */
const CHILD = `
const { openLocalDatabase, LOCAL_TABLES } = await import(${JSON.stringify(MODULE)});
const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
const [dir, name] = process.argv.slice(1);
const db = await openLocalDatabase(dir);
await db.doc.send(new PutCommand({ TableName: LOCAL_TABLES.journal, Item: { pk: name, sk: 'ITEM', by: process.pid } }));
process.stdout.write(JSON.stringify({ owner: db.owner, endpoint: db.endpoint }) + '\\n');
process.stdin.resume();
process.stdin.on('end', async () => { await db.close(); process.exit(0); });
`;

type Child = { proc: ChildProcessWithoutNullStreams; ready: Promise<{ owner: boolean; endpoint: string }> };

function spawnChild(dir: string, name: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, dir, name], {
    cwd: ROOT,
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<{ owner: boolean; endpoint: string }>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n') && line !== undefined) resolve(JSON.parse(line));
    });
    proc.once('exit', (code) => reject(new Error(`child exited with ${code}: ${stderr}`)));
  });
  return { proc, ready };
}

async function stopChild(child: Child, signal?: NodeJS.Signals): Promise<void> {
  const exited = once(child.proc, 'exit');
  if (signal) child.proc.kill(signal);
  else child.proc.stdin.end();
  await exited;
}

async function readItem(db: LocalDatabase, pk: string): Promise<Record<string, unknown> | undefined> {
  const out = await db.doc.send(new GetCommand({ TableName: LOCAL_TABLES.journal, Key: { pk, sk: 'ITEM' } }));
  return out.Item;
}

async function writeItem(db: LocalDatabase, pk: string): Promise<void> {
  await db.doc.send(
    new PutCommand({ TableName: LOCAL_TABLES.journal, Item: { pk, sk: 'ITEM', by: process.pid } }),
  );
}

async function readLockFile(dir: string): Promise<DatabaseLock> {
  return JSON.parse(await readFile(join(dir, 'db.lock.json'), 'utf8')) as DatabaseLock;
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid ?? 999_999;
}

let dir: string;
const opened: LocalDatabase[] = [];

async function open(options: { timeoutMs?: number } = {}): Promise<LocalDatabase> {
  const db = await openLocalDatabase(dir, options);
  opened.push(db);
  return db;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetbench-db-'));
});

afterEach(async () => {
  for (const db of opened.splice(0).reverse()) await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Function: openLocalDatabase', () => {
  it('serves the data directory, advertises it in the lock, and keeps data across restarts', async () => {
    // Prepare
    const first = await open();
    await writeItem(first, 'kept');

    // Assess the lock while serving
    expect(first.owner).toBe(true);
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await readLockFile(dir)).toMatchObject({ pid: process.pid, endpoint: first.endpoint });

    // Act
    await first.close();
    expect(await exists(join(dir, 'db.lock.json'))).toBe(false);
    const second = await open();

    // Assess
    expect(second.owner).toBe(true);
    expect(await readItem(second, 'kept')).toMatchObject({ pk: 'kept' });
  });

  it('connects a second opener to the serving process instead of opening LevelDB twice', async () => {
    const owner = await open();
    const other = await open();

    await writeItem(other, 'from-other');

    expect(other.owner).toBe(false);
    expect(other.endpoint).toBe(owner.endpoint);
    expect(await readItem(owner, 'from-other')).toBeDefined();
    await other.close();
    expect(await readItem(owner, 'from-other')).toBeDefined();
    expect(await exists(join(dir, 'db.lock.json'))).toBe(true);
  });

  it('serves its own requests in-process and a second opener over loopback HTTP', async () => {
    const owner = await open();
    const other = await open();
    const inProcess = vi.spyOn(InProcessDynaliteHandler.prototype, 'handle');

    await writeItem(owner, 'in-process');
    const item = await readItem(other, 'in-process');

    expect(inProcess).toHaveBeenCalledTimes(1);
    expect(item).toMatchObject({ pk: 'in-process', by: process.pid });
    inProcess.mockRestore();
  });

  it('keeps a connected reader working after the serving process closes: it serves the database itself', async () => {
    // Prepare
    const owner = await open();
    const reader = await open();
    await writeItem(owner, 'before');

    // Act
    await owner.close();
    const item = await readItem(reader, 'before');
    await writeItem(reader, 'after');

    // Assess
    expect(item).toMatchObject({ pk: 'before' });
    expect(reader.owner).toBe(true);
    expect(await readLockFile(dir)).toMatchObject({ pid: process.pid, endpoint: reader.endpoint });
    expect(await readItem(reader, 'after')).toBeDefined();
  });

  it('takes over a lock whose process is dead, and an abandoned start', async () => {
    const stale: DatabaseLock = {
      pid: deadPid(),
      endpoint: 'http://127.0.0.1:9',
      secret: 'stale',
      startedAt: 'then',
    };
    await writeFile(join(dir, 'db.lock.json'), JSON.stringify(stale));
    await writeFile(join(dir, 'db.starting'), String(stale.pid));

    const db = await open();

    expect(db.owner).toBe(true);
    expect(await readLockFile(dir)).toMatchObject({ pid: process.pid, endpoint: db.endpoint });
    expect(await exists(join(dir, 'db.starting'))).toBe(false);
  });

  it('takes over a lock whose process is alive but whose endpoint does not answer', async () => {
    const stale: DatabaseLock = {
      pid: process.pid,
      endpoint: 'http://127.0.0.1:9',
      secret: 'stale',
      startedAt: 'then',
    };
    await writeFile(join(dir, 'db.lock.json'), JSON.stringify(stale));

    const db = await open();

    expect(db.owner).toBe(true);
  });

  it('fails with EngineError while a process that does not answer still holds LevelDB', async () => {
    // Prepare: this process holds LevelDB's LOCK, and the lock names a dead endpoint
    const requireDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const { Level } = requireDynalite('level') as {
      Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> };
    };
    const level = new Level(join(dir, 'db'));
    await level.open();
    const lock: DatabaseLock = {
      pid: process.pid,
      endpoint: 'http://127.0.0.1:9',
      secret: 'stale',
      startedAt: 'now',
    };
    await writeFile(join(dir, 'db.lock.json'), JSON.stringify(lock));

    try {
      // Act & Assess
      await expect(open({ timeoutMs: 300 })).rejects.toBeInstanceOf(EngineError);
    } finally {
      await level.close();
    }
  });

  it('reopens the data of a serving process killed with SIGKILL', async () => {
    // Prepare
    const child = spawnChild(dir, 'written-before-kill');
    expect((await child.ready).owner).toBe(true);

    // Act
    await stopChild(child, 'SIGKILL');
    const db = await open();

    // Assess
    expect(db.owner).toBe(true);
    expect(await readItem(db, 'written-before-kill')).toMatchObject({ by: child.proc.pid });
  });

  it('lets two processes start at once: one serves, the other connects to it', async () => {
    // Act
    const children = [spawnChild(dir, 'child-a'), spawnChild(dir, 'child-b')];
    const ready = await Promise.all(children.map((c) => c.ready));

    // Assess
    expect(ready.filter((r) => r.owner)).toHaveLength(1);
    expect(ready[0]?.endpoint).toBe(ready[1]?.endpoint);
    const ownerIndex = ready.findIndex((r) => r.owner);
    const [owner, client] = ownerIndex === 0 ? children : [children[1], children[0]];
    if (!owner || !client) throw new Error('two children expected');
    await stopChild(client);
    await stopChild(owner);
    expect(await exists(join(dir, 'db.lock.json'))).toBe(false);
    const db = await open();
    expect(await readItem(db, 'child-a')).toBeDefined();
    expect(await readItem(db, 'child-b')).toBeDefined();
  });

  it('hands the database over while another opener writes: every write lands, none fails', async () => {
    // Prepare: an owner, and a second opener with a burst of writes in flight
    const owner = await open();
    const writer = await open();
    const writes = Array.from({ length: 200 }, (_, i) => writeItem(writer, `burst-${i}`));

    // Act: the owner leaves in the middle of the burst
    await new Promise((resolve) => setTimeout(resolve, 5));
    await owner.close();
    const outcomes = await Promise.allSettled(writes);

    // Assess
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(writer.owner).toBe(true);
    for (let i = 0; i < 200; i++) expect(await readItem(writer, `burst-${i}`), `burst-${i}`).toBeDefined();
  });
});

describe('Access to a served database', () => {
  it('creates the data directory and the lock owner-only', async () => {
    const dataDir = join(dir, 'fresh');
    await openLocalDatabase(dataDir).then((db) => opened.push(db));

    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, 'db.lock.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a client without the secret of the lock, and one with a wrong secret', async () => {
    // Prepare
    const owner = await open();
    const lock = await readLockFile(dir);
    const stranger = createLocalClients(owner.endpoint).doc;
    const guesser = createLocalClients(owner.endpoint).doc;
    guesser.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers[SECRET_HEADER] = 'guess';
        return next(args);
      },
      { step: 'build' },
    );
    const read = new GetCommand({ TableName: LOCAL_TABLES.journal, Key: { pk: 'any', sk: 'ITEM' } });

    // Act & Assess
    expect(lock.secret).toMatch(/^[0-9a-f]{64}$/);
    await expect(stranger.send(read)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(guesser.send(read)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('Damage', () => {
  it('refuses a database whose log has a flipped byte with DatabaseDamagedError naming the file', async () => {
    // Prepare
    const db = await open();
    await writeItem(db, 'recorded');
    await db.close();
    const log = (await readdir(join(dir, 'db'))).find((n) => n.endsWith('.log')) ?? '';
    const bytes = await readFile(join(dir, 'db', log));
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8((bytes[middle] ?? 0) ^ 0x01, middle);
    await writeFile(join(dir, 'db', log), bytes);

    // Act & Assess
    const error = await openLocalDatabase(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseDamagedError);
    expect((error as DatabaseDamagedError).message).toContain(`${log}: checksum mismatch`);
    expect((error as DatabaseDamagedError).hint).toContain('fleetbench doctor');
  });

  it('refuses a database whose log was cut short', async () => {
    const db = await open();
    await writeItem(db, 'recorded');
    await db.close();
    const log = (await readdir(join(dir, 'db'))).find((n) => n.endsWith('.log')) ?? '';
    const bytes = await readFile(join(dir, 'db', log));
    await writeFile(join(dir, 'db', log), bytes.subarray(0, bytes.length - 3));

    await expect(openLocalDatabase(dir)).rejects.toThrow(/cut short/);
  });

  it('refuses a garbage database file and a data directory that is a file', async () => {
    await writeFile(join(dir, 'db'), 'garbage');
    const file = join(dir, 'db');

    await expect(openLocalDatabase(dir)).rejects.toBeInstanceOf(DatabaseDamagedError);
    await expect(openLocalDatabase(file)).rejects.toBeInstanceOf(DataDirError);
  });
});
