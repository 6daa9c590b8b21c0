/**
 * Finds damage in the local database's LevelDB files before LevelDB opens them. LevelDB (as dynalite opens
 * it) neither verifies checksums on reads nor refuses a damaged log: when it opens a directory it replays
 * the write-ahead log, drops every record it cannot read, and carries on, so flipped bytes or a truncated
 * log would make runs vanish or go back in time without a word. This module reads the files with their
 * own checksums (CRC-32C, masked as LevelDB masks it):
 *
 * - `CURRENT` names an existing `MANIFEST-*`;
 * - every log (`*.log`, `MANIFEST-*`): each record's checksum, and no record cut short at the end;
 * - every table (`*.ldb`, `*.sst`): the footer's magic number, the index block and every data block's
 *   checksum.
 *
 * A finding becomes DatabaseDamagedError, naming the file and what to do.
 */
import { readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseDamagedError } from '../../core/errors.js';

export { DatabaseDamagedError } from '../../core/errors.js';

const BLOCK_SIZE = 32 * 1024;
const HEADER_SIZE = 7;
const RECORD = { zero: 0, full: 1, first: 2, middle: 3, last: 4 } as const;
const TABLE_MAGIC = 0xdb4775248b80fb57n;
const FOOTER_SIZE = 48;
const BLOCK_TRAILER_SIZE = 5;
const MASK_DELTA = 0xa282ead8;
/** A block's compression type byte for Snappy (0 is none). */
const SNAPPY = 1;
/** A log being appended to by a process handing the database over is re-read before it is called damaged. */
const RECHECK_DELAYS_MS = [100, 300];

/** What to tell the user whenever the database is damaged. */
export function damageHint(dbPath: string): string {
  return (
    `run \`fleetbench doctor\` to see which runs are affected; \`fleetbench doctor --repair\` moves ${dbPath} ` +
    'aside and rebuilds the runs from their events and outputs'
  );
}

/** Whether an error of LevelDB (or of dynalite reading it) says its files are corrupt. */
export function isCorruption(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === 'LEVEL_CORRUPTION') return true;
    if (typeof message === 'string' && /^Corruption: /.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Builds the error for damage LevelDB itself reported. */
export function damagedBy(dbPath: string, error: unknown): DatabaseDamagedError {
  const detail =
    error instanceof Error
      ? error.cause instanceof Error
        ? error.cause.message
        : error.message
      : String(error);
  return new DatabaseDamagedError(`the local database ${dbPath} is damaged: ${detail}`, {
    hint: damageHint(dbPath),
    cause: error,
  });
}

/**
 * Throws DatabaseDamagedError when a file of the LevelDB directory `dbPath` is damaged; a missing
 * directory (a new data directory) is fine.
 * @example
 * await checkLevelDb('.fleetbench/db');
 */
export async function checkLevelDb(dbPath: string): Promise<void> {
  const finding = await findLastingDamage(dbPath);
  if (finding !== undefined) {
    throw new DatabaseDamagedError(`the local database ${dbPath} is damaged: ${finding}`, {
      hint: damageHint(dbPath),
    });
  }
}

/**
 * The damage found in `dbPath` that is still there when looked at again: files a live process is
 * switching (a new log, a new MANIFEST) can look inconsistent for a moment.
 * @example
 * const finding = await findLastingDamage('.fleetbench/db'); // undefined when intact
 */
export async function findLastingDamage(dbPath: string): Promise<string | undefined> {
  let finding = await findDamage(dbPath);
  for (const delay of RECHECK_DELAYS_MS) {
    if (finding === undefined) return undefined;
    await new Promise((resolve) => setTimeout(resolve, delay));
    finding = await findDamage(dbPath);
  }
  return finding;
}

/** The first damage found in `dbPath`, described, or undefined. */
async function findDamage(dbPath: string): Promise<string | undefined> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dbPath);
  } catch {
    return undefined;
  }
  if (!info.isDirectory()) return `${dbPath} is a file, not a LevelDB directory`;
  const names = await readdir(dbPath);
  const manifests = names.filter((n) => n.startsWith('MANIFEST-'));
  if (names.includes('CURRENT')) {
    const current = (await readFile(join(dbPath, 'CURRENT'), 'latin1')).trim();
    if (!/^MANIFEST-\d+$/.test(current)) return 'CURRENT does not name a MANIFEST';
    if (!names.includes(current)) return `CURRENT names ${current}, which is missing`;
  } else if (manifests.length > 0 || names.some((n) => n.endsWith('.log') || isTable(n))) {
    return 'CURRENT is missing';
  }
  for (const name of names.sort()) {
    const path = join(dbPath, name);
    const check =
      name.startsWith('MANIFEST-') || name.endsWith('.log')
        ? checkLog
        : isTable(name)
          ? checkTable
          : undefined;
    if (check === undefined) continue;
    const data = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      // Deleted since the listing: a live process compacted it away.
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    const problem = data === undefined ? undefined : check(data);
    if (problem !== undefined) return `${name}: ${problem}`;
  }
  return undefined;
}

function isTable(name: string): boolean {
  return name.endsWith('.ldb') || name.endsWith('.sst');
}

/** Checks a LevelDB log (write-ahead log or MANIFEST): record checksums, and nothing cut short. */
export function checkLog(data: Buffer): string | undefined {
  return scanLog(data).problem;
}

/**
 * Reads a log record by record: the first problem, and where the last complete record before it ends
 * (what is left when everything from the problem on is cut away).
 */
function scanLog(data: Buffer): { problem?: string; validEnd: number } {
  let offset = 0;
  let inRecord = false;
  let validEnd = 0;
  const stop = (problem: string) => ({ problem, validEnd });
  while (offset < data.length) {
    const blockLeft = BLOCK_SIZE - (offset % BLOCK_SIZE);
    if (blockLeft < HEADER_SIZE) {
      // The block's trailer: zero padding.
      offset += blockLeft;
      continue;
    }
    if (data.length - offset < HEADER_SIZE)
      return stop(`cut short at byte ${offset} (a partial record header)`);
    const stored = data.readUInt32LE(offset);
    const length = data.readUInt16LE(offset + 4);
    const type = data[offset + 6] ?? 0;
    if (type === RECORD.zero && length === 0 && stored === 0) {
      // Preallocated, never written: the rest of the block is padding.
      offset += blockLeft;
      continue;
    }
    const end = offset + HEADER_SIZE + length;
    if (end > data.length)
      return stop(`cut short at byte ${offset} (a record of ${length} bytes ends past the file)`);
    if (length > blockLeft - HEADER_SIZE) return stop(`bad record length at byte ${offset}`);
    if (unmask(stored) !== crc32c(data.subarray(offset + 6, end)))
      return stop(`checksum mismatch at byte ${offset}`);
    if (type === RECORD.full || type === RECORD.first) {
      if (inRecord) return stop(`a record at byte ${offset} starts inside another`);
      inRecord = type === RECORD.first;
    } else if (type === RECORD.middle || type === RECORD.last) {
      if (!inRecord) return stop(`a record fragment at byte ${offset} continues nothing`);
      inRecord = type === RECORD.middle;
    } else {
      return stop(`unknown record type ${type} at byte ${offset}`);
    }
    offset = end;
    if (!inRecord) validEnd = offset;
  }
  return inRecord ? stop('cut short (its last record is incomplete)') : { validEnd };
}

/**
 * Cuts the newest write-ahead log of `dbPath` back to its last complete record. A write that failed on a
 * full disk can leave the start of its record there: that write was answered with an error, so nothing
 * anyone was told is recorded goes. Call it only once LevelDB is closed, and only when this process saw a
 * write to `dbPath` fail (storage-faults.ts `takeWriteFault`): anywhere else a torn log is damage. Returns
 * the number of bytes cut.
 * @example
 * if (takeWriteFault(dbPath)) await trimTornLogTail(dbPath);
 */
export async function trimTornLogTail(dbPath: string): Promise<number> {
  const logs = (await readdir(dbPath)).filter((n) => /^\d+\.log$/.test(n));
  const newest = logs.sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)).at(-1);
  if (newest === undefined) return 0;
  const path = join(dbPath, newest);
  const data = await readFile(path);
  const { problem, validEnd } = scanLog(data);
  if (problem === undefined) return 0;
  await truncate(path, validEnd);
  return data.length - validEnd;
}

/** Checks a LevelDB table: footer magic, then the index block and every data block it lists. */
export function checkTable(data: Buffer): string | undefined {
  if (data.length < FOOTER_SIZE) return 'shorter than a table footer';
  const footer = data.subarray(data.length - FOOTER_SIZE);
  if (footer.readBigUInt64LE(FOOTER_SIZE - 8) !== TABLE_MAGIC) return 'bad table magic number (cut short?)';
  const cursor = { offset: 0 };
  readVarint(footer, cursor);
  readVarint(footer, cursor);
  const index = { offset: readVarint(footer, cursor), size: readVarint(footer, cursor) };
  const indexProblem = checkBlock(data, index);
  if (indexProblem !== undefined) return `index block: ${indexProblem}`;
  const raw = data.subarray(index.offset, index.offset + index.size);
  const compression = data[index.offset + index.size];
  const contents = compression === SNAPPY ? snappyUncompress(raw) : raw;
  if (contents === undefined) return 'index block: cannot be uncompressed';
  for (const handle of indexHandles(contents)) {
    const problem = checkBlock(data, handle);
    if (problem !== undefined) return `data block at byte ${handle.offset}: ${problem}`;
  }
  return undefined;
}

type BlockHandle = { offset: number; size: number };

function checkBlock(data: Buffer, handle: BlockHandle): string | undefined {
  const end = handle.offset + handle.size + BLOCK_TRAILER_SIZE;
  if (handle.offset < 0 || end > data.length) return 'lies past the end of the file';
  const stored = data.readUInt32LE(handle.offset + handle.size + 1);
  if (unmask(stored) !== crc32c(data.subarray(handle.offset, handle.offset + handle.size + 1)))
    return 'checksum mismatch';
  return undefined;
}

/** The block handles an index block's entries hold (keys are skipped). */
function indexHandles(block: Buffer): BlockHandle[] {
  if (block.length < 4) return [];
  const restarts = block.readUInt32LE(block.length - 4);
  const limit = block.length - 4 - restarts * 4;
  const handles: BlockHandle[] = [];
  const cursor = { offset: 0 };
  while (cursor.offset < limit) {
    readVarint(block, cursor); // shared key bytes
    const unshared = readVarint(block, cursor);
    const valueLength = readVarint(block, cursor);
    cursor.offset += unshared;
    const value = { offset: cursor.offset };
    handles.push({ offset: readVarint(block, value), size: readVarint(block, value) });
    cursor.offset += valueLength;
  }
  return handles;
}

/** Snappy's raw format, as LevelDB compresses blocks; undefined when the input is not valid. */
function snappyUncompress(input: Buffer): Buffer | undefined {
  const cursor = { offset: 0 };
  const length = readVarint(input, cursor);
  if (!Number.isSafeInteger(length) || length > 64 * 1024 * 1024) return undefined;
  const out = Buffer.alloc(length);
  let written = 0;
  let i = cursor.offset;
  while (i < input.length) {
    const tag = input[i++] ?? 0;
    let size: number;
    let offset = 0;
    switch (tag & 3) {
      case 0: {
        size = (tag >>> 2) + 1;
        if (size > 60) {
          const bytes = size - 60;
          size = input.readUIntLE(i, bytes) + 1;
          i += bytes;
        }
        if (i + size > input.length || written + size > length) return undefined;
        input.copy(out, written, i, i + size);
        i += size;
        written += size;
        continue;
      }
      case 1:
        size = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | (input[i++] ?? 0);
        break;
      case 2:
        size = (tag >>> 2) + 1;
        offset = input.readUInt16LE(i);
        i += 2;
        break;
      default:
        size = (tag >>> 2) + 1;
        offset = input.readUInt32LE(i);
        i += 4;
    }
    if (offset === 0 || offset > written || written + size > length) return undefined;
    // Copies may overlap their own output (a run), so byte by byte.
    for (let k = 0; k < size; k++, written++) out[written] = out[written - offset] ?? 0;
  }
  return written === length ? out : undefined;
}

function readVarint(data: Buffer, cursor: { offset: number }): number {
  let result = 0;
  let factor = 1;
  for (let i = 0; i < 10; i++) {
    const byte = data[cursor.offset++];
    if (byte === undefined) return Number.NaN;
    result += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return result;
    factor *= 128;
  }
  return Number.NaN;
}

function unmask(masked: number): number {
  const rotated = (masked - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as LevelDB checksums its records and blocks. */
export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
