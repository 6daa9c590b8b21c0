import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3OutputStore } from '../../../lib/adapters/aws/s3-output-store.js';
import { awsError } from './aws-fakes.js';

const s3 = mockClient(S3Client);

/** The part of the SDK's streaming body the store uses. */
function body(text: string) {
  return { transformToString: async () => text } as never;
}

function store() {
  return new S3OutputStore({ s3: new S3Client({ region: 'us-east-1' }) });
}

beforeEach(() => {
  s3.reset();
});

describe('Class: S3OutputStore', () => {
  it('reads the whole object when no limit is given', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('line 1\nline 2\n') });

    await expect(store().read('s3://bucket/runs/r/outputs/c/stdout')).resolves.toBe('line 1\nline 2\n');

    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'runs/r/outputs/c/stdout',
    });
  });

  it('reads only the last maxBytes, starting at a whole line', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: body('tial line\n{"ops": 42}\n'),
      ContentRange: 'bytes 990-1009/1010',
    });

    await expect(store().read('s3://bucket/k', 20)).resolves.toBe('{"ops": 42}\n');

    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input.Range).toBe('bytes=-20');
  });

  it.each([
    'NoSuchKey',
    'NotFound',
    'InvalidRange',
  ])('reads a missing or empty output (%s) as empty', async (name) => {
    s3.on(GetObjectCommand).rejects(awsError(name));

    await expect(store().read('s3://bucket/k', 10)).resolves.toBe('');
  });

  it('rethrows a denial', async () => {
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied'));

    await expect(store().read('s3://bucket/k')).rejects.toThrow('AccessDenied');
  });
});
