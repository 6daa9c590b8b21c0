import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3RunOutputs } from '../../../lib/adapters/aws/s3-run-outputs.js';
import { EngineError } from '../../../lib/core/errors.js';

const s3 = mockClient(S3Client);

function outputs() {
  return new S3RunOutputs({
    s3: new S3Client({ region: 'us-east-1' }),
    bucket: 'fleetbench-outputs',
    retry: { sleep: async () => {} },
  });
}

const objects = (...keys: string[]) => keys.map((Key) => ({ Key }));

beforeEach(() => {
  s3.reset();
});

describe('Class: S3RunOutputs', () => {
  describe('Method: exists', () => {
    it('asks for one key under the run prefix, slash included', async () => {
      s3.on(ListObjectsV2Command).resolves({ Contents: objects('runs/r1/outputs/c/i-1/stdout') });

      await expect(outputs().exists('r1')).resolves.toBe(true);

      expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toStrictEqual({
        Bucket: 'fleetbench-outputs',
        Prefix: 'runs/r1/',
        MaxKeys: 1,
      });
    });

    it('says false for a run with no object', async () => {
      s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });

      await expect(outputs().exists('r1')).resolves.toBe(false);
    });
  });

  describe('Method: purge', () => {
    it('deletes page by page, quietly, until the prefix is empty', async () => {
      // Prepare
      s3.on(ListObjectsV2Command)
        .resolvesOnce({ Contents: objects('runs/r1/a', 'runs/r1/b'), IsTruncated: true })
        .resolvesOnce({ Contents: objects('runs/r1/c'), IsTruncated: false });
      s3.on(DeleteObjectsCommand).resolves({});

      // Act
      const deleted = await outputs().purge('r1');

      // Assess
      expect(deleted).toBe(3);
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: 'fleetbench-outputs', Prefix: 'runs/r1/' },
        { Bucket: 'fleetbench-outputs', Prefix: 'runs/r1/' },
      ]);
      expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: 'fleetbench-outputs', Delete: { Objects: objects('runs/r1/a', 'runs/r1/b'), Quiet: true } },
        { Bucket: 'fleetbench-outputs', Delete: { Objects: objects('runs/r1/c'), Quiet: true } },
      ]);
    });

    it('deletes nothing for a run with no object', async () => {
      s3.on(ListObjectsV2Command).resolves({});

      await expect(outputs().purge('r1')).resolves.toBe(0);

      expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    });

    it('fails, naming the key, when S3 could not delete an object', async () => {
      s3.on(ListObjectsV2Command).resolves({ Contents: objects('runs/r1/a') });
      s3.on(DeleteObjectsCommand).resolves({
        Errors: [{ Key: 'runs/r1/a', Code: 'AccessDenied', Message: 'Access Denied' }],
      });

      const purging = outputs().purge('r1');

      await expect(purging).rejects.toBeInstanceOf(EngineError);
      await expect(purging).rejects.toThrow(
        'could not delete s3://fleetbench-outputs/runs/r1/a: AccessDenied Access Denied',
      );
    });
  });
});
