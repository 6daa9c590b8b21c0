import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkLog,
  checkTable,
  crc32c,
  trimTornLogTail,
} from '../../../lib/adapters/local/database-damage.js';

/** One LevelDB log record: masked CRC-32C of type + data, length, type, data. */
function record(type: number, data: string): Buffer {
  const payload = Buffer.concat([Buffer.from([type]), Buffer.from(data)]);
  const crc = crc32c(payload);
  const masked = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
  const header = Buffer.alloc(7);
  header.writeUInt32LE(masked, 0);
  header.writeUInt16LE(data.length, 4);
  header.writeUInt8(type, 6);
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('Function: crc32c', () => {
  it('computes the Castagnoli CRC of the standard check string', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('Function: checkLog', () => {
  it('accepts whole records, and an empty log', () => {
    expect(checkLog(Buffer.concat([record(1, 'one'), record(2, 'tw'), record(4, 'o')]))).toBeUndefined();
    expect(checkLog(Buffer.alloc(0))).toBeUndefined();
  });

  it('names a flipped byte, a record cut short and a fragmented record without its end', () => {
    const flipped = record(1, 'payload');
    flipped.writeUInt8((flipped[9] ?? 0) ^ 1, 9);
    const whole = record(1, 'payload');

    expect(checkLog(flipped)).toBe('checksum mismatch at byte 0');
    expect(checkLog(whole.subarray(0, whole.length - 2))).toMatch(/^cut short at byte 0/);
    expect(checkLog(record(2, 'first half'))).toBe('cut short (its last record is incomplete)');
  });
});

describe('Function: checkTable', () => {
  it('refuses a file without the table magic number', () => {
    expect(checkTable(Buffer.alloc(100))).toBe('bad table magic number (cut short?)');
    expect(checkTable(Buffer.alloc(10))).toBe('shorter than a table footer');
  });
});

describe('Function: trimTornLogTail', () => {
  it.each([
    ['a record cut short', (r: Buffer) => r.subarray(0, r.length - 3)],
    [
      'a record whose data never reached the disk',
      (r: Buffer) => Buffer.concat([r.subarray(0, 7), Buffer.alloc(r.length - 7)]),
    ],
    ['the first fragment of a record', () => record(2, 'first half')],
  ])('cuts the newest log back to its last whole record after %s', async (_, torn) => {
    // Prepare: an older log, and a newest log whose last record is torn
    const dir = await mkdtemp(join(tmpdir(), 'fleetbench-torn-'));
    const whole = Buffer.concat([record(1, 'one'), record(2, 'tw'), record(4, 'o')]);
    const older = record(1, 'older');
    await writeFile(join(dir, '000003.log'), older);
    await writeFile(join(dir, '000010.log'), Buffer.concat([whole, torn(record(1, 'the failed write'))]));

    // Act
    const cut = await trimTornLogTail(dir);

    // Assess
    const newest = await readFile(join(dir, '000010.log'));
    expect(newest).toEqual(whole);
    expect(cut).toBeGreaterThan(0);
    expect(checkLog(newest)).toBeUndefined();
    expect(await readFile(join(dir, '000003.log'))).toEqual(older);
    await rm(dir, { recursive: true });
  });

  it('leaves a whole log as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetbench-torn-'));
    const whole = Buffer.concat([record(1, 'one'), record(1, 'two')]);
    await writeFile(join(dir, '000005.log'), whole);

    expect(await trimTornLogTail(dir)).toBe(0);
    expect(await readFile(join(dir, '000005.log'))).toEqual(whole);
    await rm(dir, { recursive: true });
  });
});
