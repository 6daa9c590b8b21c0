import { describe, expect, it } from 'vitest';
import { answerStorageFaults, takeWriteFault } from '../../../lib/adapters/local/storage-faults.js';

const IO_ERROR = Object.assign(new Error('IO error: /data/db/000005.log: No space left on device'), {
  code: 'LEVEL_IO_ERROR',
});
const CORRUPTION = Object.assign(new Error('Corruption: block checksum mismatch'), {
  code: 'LEVEL_CORRUPTION',
});
const NOT_FOUND = Object.assign(new Error('NotFound'), { code: 'LEVEL_NOT_FOUND' });

/** A Level class whose operations fail as the test says, as classic-level's do. */
function failingLevel(errors: { put?: Error; get?: Error; next?: Error }) {
  class FakeLevel {
    constructor(readonly location: string) {}
    async put(): Promise<void> {
      if (errors.put) throw errors.put;
    }
    async get(): Promise<string> {
      if (errors.get) throw errors.get;
      return 'value';
    }
    async getMany(): Promise<string[]> {
      return [];
    }
    async del(): Promise<void> {}
    batch(...operations: unknown[]): Promise<void> | { write(): void } {
      return operations.length === 0 ? { write: () => undefined } : Promise.resolve();
    }
    iterator() {
      return { next: async () => (errors.next ? Promise.reject(errors.next) : undefined) };
    }
    keys() {
      return this.iterator();
    }
    values() {
      return this.iterator();
    }
  }
  answerStorageFaults(FakeLevel);
  return FakeLevel;
}

describe('Function: answerStorageFaults', () => {
  it('turns a failed write into the DynamoDB error dynalite answers with, and remembers the directory', async () => {
    // Prepare
    const Level = failingLevel({ put: IO_ERROR });
    const db = new Level('/data/db');

    // Act
    const error = await db.put().catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({
      statusCode: 500,
      body: {
        __type: 'com.amazonaws.dynamodb.v20120810#StorageIoError',
        message: "the journal's storage failed: IO error: /data/db/000005.log: No space left on device",
      },
      cause: IO_ERROR,
    });
    expect(takeWriteFault('/data/db')).toBe(true);
    expect(takeWriteFault('/data/db')).toBe(false);
  });

  it('turns corruption met by a read into StorageCorruption, without taking it for a failed write', async () => {
    const Level = failingLevel({ get: CORRUPTION, next: CORRUPTION });
    const db = new Level('/data/other');

    const [read, scanned] = await Promise.all([
      db.get().catch((e: unknown) => e),
      db
        .values()
        .next()
        .catch((e: unknown) => e),
    ]);

    for (const error of [read, scanned]) {
      expect(error).toMatchObject({
        statusCode: 500,
        body: { __type: 'com.amazonaws.dynamodb.v20120810#StorageCorruption' },
      });
    }
    expect(takeWriteFault('/data/other')).toBe(false);
  });

  it('passes other errors and results through unchanged, and patches a class once', async () => {
    const Level = failingLevel({ get: NOT_FOUND });
    answerStorageFaults(Level);
    const db = new Level('/data/db');

    expect(await db.get().catch((e: unknown) => e)).toBe(NOT_FOUND);
    expect(await db.put()).toBeUndefined();
    expect(db.batch()).toHaveProperty('write');
  });
});
