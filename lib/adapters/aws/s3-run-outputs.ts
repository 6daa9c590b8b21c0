/**
 * What a run keeps in the output bucket, as `rm --purge` (and the stack's retention) removes it: every
 * object under `runs/<runId>/` — the stdout and stderr SSM uploaded for each of its commands. Listed with
 * ListObjectsV2 (1,000 keys a page) and deleted with DeleteObjects (1,000 keys a request, quiet: only
 * failures come back, and a key that fails is an error, since a purge must not look done when it is not).
 * The trailing slash keeps `runs/a/` from matching `runs/ab/`.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { EngineError } from '../../core/errors.js';
import type { RunArtifacts } from '../../core/ports.js';
import { isThrottling, type RetryOverrides, type RetryPolicy, retryPolicy, withRetry } from './retry.js';

/** The prefix of everything a run keeps in the output bucket. */
export function runObjectsPrefix(runId: string): string {
  return `runs/${runId}/`;
}

/**
 * @example
 * const outputs = new S3RunOutputs({ s3, bucket: stackOutputs.outputBucketName });
 * const deleted = await outputs.purge('cpu-20260101-120000-ab12');
 */
export class S3RunOutputs implements RunArtifacts {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #retry: RetryPolicy;

  constructor(options: { readonly s3: S3Client; readonly bucket: string; readonly retry?: RetryOverrides }) {
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#retry = retryPolicy(options.retry);
  }

  async exists(runId: string): Promise<boolean> {
    const page = await this.#list(runId, 1);
    return (page.Contents ?? []).length > 0;
  }

  async purge(runId: string): Promise<number> {
    let deleted = 0;
    // Each page is deleted before the next is listed: no continuation token is carried over deleted keys.
    for (;;) {
      const page = await this.#list(runId);
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) return deleted;
      const out = await withRetry(
        () =>
          this.#s3.send(
            new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: keys, Quiet: true } }),
          ),
        isThrottling,
        this.#retry,
      );
      const [failed] = out.Errors ?? [];
      if (failed) {
        throw new EngineError(
          `could not delete s3://${this.#bucket}/${failed.Key ?? ''}: ${failed.Code ?? 'error'} ${failed.Message ?? ''}`.trim(),
          { hint: `run the same \`fleetbench rm ${runId} --purge\` again to finish the purge` },
        );
      }
      deleted += keys.length;
      if (!page.IsTruncated) return deleted;
    }
  }

  #list(runId: string, maxKeys?: number) {
    return withRetry(
      () =>
        this.#s3.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: runObjectsPrefix(runId),
            ...(maxKeys === undefined ? {} : { MaxKeys: maxKeys }),
          }),
        ),
      isThrottling,
      this.#retry,
    );
  }
}
