/**
 * Copying a kept output to S3: when SSM may have cut what an invocation returned (ssm-kept-output.ts), a
 * one-host `AWS-RunShellScript` command prints the host's copy with the output bucket set, so SSM uploads it
 * whole under `runs/<runId>/outputs/<commandId>/` — where every output went before outputs were read from the
 * invocation. The caller waits for it (a `cat` of a file: seconds) and reads the objects like any S3 output.
 *
 * The copy's own status events reach on-invocation-status too and are dropped after one journal read: the
 * journal records no `PROVIDER#` item for it. A second delivery of the same answer copies again; the result
 * recorded first wins, so the copy is only extra work.
 */
import { SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { isThrottling, type RetryOverrides, type RetryPolicy, retryPolicy, withRetry } from './retry.js';
import type { SsmInvocationReader } from './ssm-invocation-reader.js';
import { isTerminal, MAX_COMMENT_LENGTH, outputKeyPrefix } from './ssm-invocations.js';
import { printKeptOutput } from './ssm-kept-output.js';

/** How long a copy may take before the caller records what SSM returned instead. */
export const DEFAULT_COPY_WAIT_MS = 60_000;
const POLL_MS = 1_000;

export type SpillIds = { readonly runId: string; readonly commandId: string; readonly hostId: string };

/**
 * @example
 * const spill = new SsmOutputSpill({ ssm: clients.ssm, outputBucket: config.outputBucket, invocations });
 * await spill.copyToS3({ runId, commandId, hostId: 'i-0123456789abcdef0' }); // { stdoutRef: 's3://…/stdout', … }
 */
export class SsmOutputSpill {
  readonly #ssm: SSMClient;
  readonly #bucket: string;
  readonly #invocations: SsmInvocationReader;
  readonly #retry: RetryPolicy;
  readonly #waitMs: number;

  constructor(options: {
    readonly ssm: SSMClient;
    readonly outputBucket: string;
    readonly invocations: SsmInvocationReader;
    readonly retry?: RetryOverrides;
    readonly waitMs?: number;
  }) {
    this.#ssm = options.ssm;
    this.#bucket = options.outputBucket;
    this.#invocations = options.invocations;
    this.#retry = retryPolicy(options.retry);
    this.#waitMs = options.waitMs ?? DEFAULT_COPY_WAIT_MS;
  }

  /** The S3 refs of the whole output; undefined when the host had no copy or the copy did not end in time. */
  async copyToS3(ids: SpillIds): Promise<{ stdoutRef: string; stderrRef: string } | undefined> {
    const prefix = outputKeyPrefix(ids.runId, ids.commandId);
    const out = await withRetry(
      () =>
        this.#ssm.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: [ids.hostId],
            Comment: `fleetbench-output ${ids.runId} ${ids.commandId}`.slice(0, MAX_COMMENT_LENGTH),
            Parameters: { commands: [printKeptOutput(ids.runId, ids.commandId)], executionTimeout: ['60'] },
            TimeoutSeconds: 60,
            OutputS3BucketName: this.#bucket,
            OutputS3KeyPrefix: prefix,
            CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
          }),
        ),
      isThrottling,
      this.#retry,
    );
    const copyId = out.Command?.CommandId;
    if (!copyId) return undefined;
    for (let waited = 0; waited <= this.#waitMs; waited += POLL_MS) {
      const invocation = await this.#invocations.get(copyId, ids.hostId);
      if (isTerminal(invocation.status)) {
        if (invocation.status !== 'Success') return undefined;
        // The layout SSM uploads to, when it does not report the URL (an empty stream uploads nothing).
        const key = `s3://${this.#bucket}/${prefix}/${copyId}/${ids.hostId}/awsrunShellScript/0.awsrunShellScript`;
        return {
          stdoutRef: invocation.stdoutRef ?? `${key}/stdout`,
          stderrRef: invocation.stderrRef ?? `${key}/stderr`,
        };
      }
      await this.#retry.sleep(POLL_MS);
    }
    return undefined;
  }
}
