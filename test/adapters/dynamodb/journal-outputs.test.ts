import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputSortKey, runPartitionKey } from '../../../lib/adapters/dynamodb/journal-keys.js';
import {
  JournalOutputs,
  journalOutputRef,
  parseJournalOutputRef,
  tail,
} from '../../../lib/adapters/dynamodb/journal-outputs.js';
import { startTestDynalite, type TestDynalite } from '../../support/dynalite.js';

let db: TestDynalite;
let outputs: JournalOutputs;

beforeAll(async () => {
  db = await startTestDynalite();
  outputs = new JournalOutputs({ client: db.doc, tableName: db.tableNames.journal });
});

afterAll(async () => {
  await db.stop();
});

const idsOf = () => ({ runId: `run-${randomUUID()}`, commandId: 'a1.repetition.cpu.1', hostId: 'i-0123' });

describe('Class: JournalOutputs', () => {
  describe('Method: put', () => {
    it('keeps both streams in one OUT# item of the run and returns a ref to each', async () => {
      // Prepare
      const ids = idsOf();

      // Act
      const refs = await outputs.put(ids, { stdout: '{"ops": 12}\n', stderr: 'warming up\n' });

      // Assess
      expect(refs).toEqual({
        stdoutRef: `journal:${ids.runId}/a1.repetition.cpu.1/i-0123/stdout`,
        stderrRef: `journal:${ids.runId}/a1.repetition.cpu.1/i-0123/stderr`,
      });
      const item = await db.doc.send(
        new GetCommand({
          TableName: db.tableNames.journal,
          Key: { pk: runPartitionKey(ids.runId), sk: outputSortKey('a1.repetition.cpu.1', 'i-0123') },
        }),
      );
      expect(item.Item).toMatchObject({ stdout: '{"ops": 12}\n', stderr: 'warming up\n' });
      expect(item.Item?.truncated).toBeUndefined();
    });

    it('marks an output SSM had cut as truncated', async () => {
      const ids = idsOf();

      await outputs.put(ids, { stdout: 'x'.repeat(24_000), stderr: '', truncated: true });

      const item = await db.doc.send(
        new GetCommand({
          TableName: db.tableNames.journal,
          Key: { pk: runPartitionKey(ids.runId), sk: outputSortKey(ids.commandId, ids.hostId) },
        }),
      );
      expect(item.Item?.truncated).toBe(true);
    });
  });

  describe('Method: read', () => {
    it('reads each stream back by its ref, the end of it in whole lines with maxBytes', async () => {
      const ids = idsOf();
      const stdout = Array.from({ length: 50 }, (_, n) => `line ${String(n).padStart(2, '0')}`).join('\n');
      const refs = await outputs.put(ids, { stdout: `${stdout}\n`, stderr: 'boom\n' });

      expect(await outputs.read(refs.stdoutRef)).toBe(`${stdout}\n`);
      expect(await outputs.read(refs.stderrRef)).toBe('boom\n');
      // 8 bytes a line: the last 20 bytes are 2 whole lines and the end of a third, which is dropped.
      expect(await outputs.read(refs.stdoutRef, 20)).toBe('line 48\nline 49\n');
    });

    it('reads an output never kept as empty', async () => {
      expect(await outputs.read(journalOutputRef(idsOf(), 'stdout'))).toBe('');
    });
  });
});

describe('Function: parseJournalOutputRef', () => {
  it('round-trips ids holding slashes and spaces', () => {
    const ids = { runId: 'r-1', commandId: 'a1.setup.my workload/x', hostId: 'perf 001' };

    expect(parseJournalOutputRef(journalOutputRef(ids, 'stderr'))).toEqual({ ...ids, stream: 'stderr' });
  });

  it.each([
    ['s3://b/k/stdout'],
    ['/data/runs/r/outputs/c/h.stdout'],
    ['journal:r/c/h/stdin'],
    ['journal:r/c/stdout'],
  ])('refuses %s', (ref) => {
    expect(parseJournalOutputRef(ref)).toBeUndefined();
  });
});

describe('Function: tail', () => {
  it('counts bytes, not characters, and never starts mid-character', () => {
    // The last 5 bytes start inside the second é: that line is dropped, the third is whole.
    expect(tail('é\né\né\n', 5)).toBe('é\n');
    expect(tail('short', 100)).toBe('short');
  });
});
