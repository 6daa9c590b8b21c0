/**
 * OutputStore on S3: the full stdout/stderr SSM wrote under `runs/<runId>/outputs/…` — never the
 * 24,000-character preview GetCommandInvocation returns. With `maxBytes`, only the *end* of the object is
 * read (an HTTP suffix Range): benchmarks print their summary last, and the failure context is the last
 * lines of stderr. A missing object is an empty output (SSM uploads nothing for an empty stream).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { dropPartialFirstLine } from '../../core/output-tail.js';
import type { OutputStore } from '../../core/ports.js';
import { errorName } from './retry.js';

/** S3's answers for "no such object" (404 with s3:ListBucket, InvalidRange on an empty object). */
const MISSING = new Set(['NoSuchKey', 'NotFound', 'InvalidRange']);

/** `s3://bucket/key` → its parts. */
export function parseS3Ref(ref: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref);
  if (!match?.[1] || !match[2]) throw new Error(`not an s3://bucket/key reference: ${ref}`);
  return { bucket: match[1], key: match[2] };
}

/**
 * @example
 * const outputs = new S3OutputStore({ s3: clients.s3 });
 * const tail = await outputs.read('s3://bucket/runs/r/outputs/a1.repetition.cpu.1/…/stdout', 64 * 1024);
 */
export class S3OutputStore implements OutputStore {
  readonly #s3: S3Client;

  constructor(options: { readonly s3: S3Client }) {
    this.#s3 = options.s3;
  }

  async read(ref: string, maxBytes?: number): Promise<string> {
    const { bucket, key } = parseS3Ref(ref);
    try {
      const out = await this.#s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(maxBytes !== undefined && maxBytes > 0 ? { Range: `bytes=-${Math.floor(maxBytes)}` } : {}),
        }),
      );
      const text = (await out.Body?.transformToString('utf-8')) ?? '';
      return truncated(out.ContentRange) ? dropPartialFirstLine(text) : text;
    } catch (error) {
      if (MISSING.has(errorName(error) ?? '')) return '';
      throw error;
    }
  }
}

/** `bytes 100-199/200`: the read started after the first byte. */
function truncated(contentRange: string | undefined): boolean {
  const match = /^bytes (\d+)-\d+\/\d+$/.exec(contentRange ?? '');
  return match?.[1] !== undefined && Number(match[1]) > 0;
}
