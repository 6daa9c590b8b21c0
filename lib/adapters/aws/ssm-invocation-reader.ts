/**
 * One SSM invocation as GetCommandInvocation returns it: its status, exit code and times, and its output
 * itself (the first 24,000 characters of stdout, 8,000 of stderr) — or, for a command sent with an S3
 * output bucket (an output copied by ssm-output-spill.ts, a command of an earlier fleetbench), where SSM
 * uploaded it. The status-event translator and the output store read the same invocation: an ended one is
 * kept in a small cache, so one host's answer costs one SSM call. Results carry `ssm:` refs to the output
 * while SSM has it (ssmOutputRef); OutputStore.keep turns them into durable ones.
 */
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { InvocationStatus } from '../../core/run.js';
import { BoundedCache } from '../dynamodb/bounded-cache.js';
import {
  isThrottling,
  named,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';
import { invocationStatus, isTerminal, s3RefFromUrl } from './ssm-invocations.js';

const SCHEME = 'ssm:';
/** Ended invocations kept: a warm container's recent answers (each ~32 KB at most). */
const CACHED_INVOCATIONS = 64;

export type InvocationOutput = {
  readonly commandId: string;
  readonly instanceId: string;
  readonly status?: InvocationStatus;
  readonly exitCode?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly comment?: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Where SSM uploaded the streams, for a command sent with an output bucket. */
  readonly stdoutRef?: string;
  readonly stderrRef?: string;
};

/**
 * The ref of a stream SSM holds.
 * @example
 * ssmOutputRef('5a1c…', 'i-0123456789abcdef0', 'stdout'); // 'ssm:5a1c…/i-0123456789abcdef0/stdout'
 */
export function ssmOutputRef(commandId: string, instanceId: string, stream: 'stdout' | 'stderr'): string {
  return `${SCHEME}${commandId}/${instanceId}/${stream}`;
}

export function parseSsmOutputRef(
  ref: string | undefined,
): { commandId: string; instanceId: string; stream: 'stdout' | 'stderr' } | undefined {
  const match = /^ssm:([^/]+)\/([^/]+)\/(stdout|stderr)$/.exec(ref ?? '');
  if (!match?.[1] || !match[2]) return undefined;
  return { commandId: match[1], instanceId: match[2], stream: match[3] === 'stderr' ? 'stderr' : 'stdout' };
}

/** Errors SSM returns while a just-sent command's invocation is not visible yet. */
const isRetryable = (error: unknown) => isThrottling(error) || named('InvocationDoesNotExist')(error);

/**
 * @example
 * const reader = new SsmInvocationReader({ ssm: clients.ssm });
 * const invocation = await reader.get('5a1c…', 'i-0123456789abcdef0');
 * invocation.stdout; // what the host printed, as SSM returns it
 */
export class SsmInvocationReader {
  readonly #ssm: SSMClient;
  readonly #retry: RetryPolicy;
  readonly #ended = new BoundedCache<InvocationOutput>(CACHED_INVOCATIONS);

  constructor(options: { readonly ssm: SSMClient; readonly retry?: RetryOverrides }) {
    this.#ssm = options.ssm;
    this.#retry = retryPolicy(options.retry);
  }

  /** The invocation; an ended one read before comes from the cache (it never changes once ended). */
  async get(commandId: string, instanceId: string): Promise<InvocationOutput> {
    const key = `${commandId}/${instanceId}`;
    const cached = this.#ended.get(key);
    if (cached) return cached;
    const out = await withRetry(
      () => this.#ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
      isRetryable,
      this.#retry,
    );
    const invocation = invocationOutput(commandId, instanceId, out);
    if (isTerminal(invocation.status)) this.#ended.set(key, invocation);
    return invocation;
  }
}

function invocationOutput(
  commandId: string,
  instanceId: string,
  out: GetCommandInvocationCommandOutput,
): InvocationOutput {
  const status = invocationStatus(out.Status, out.StatusDetails);
  const stdoutRef = s3RefFromUrl(out.StandardOutputUrl);
  const stderrRef = s3RefFromUrl(out.StandardErrorUrl);
  return {
    commandId,
    instanceId,
    ...(status ? { status } : {}),
    ...(out.ResponseCode !== undefined && out.ResponseCode >= 0 ? { exitCode: out.ResponseCode } : {}),
    ...isoTime('startedAt', out.ExecutionStartDateTime),
    ...isoTime('finishedAt', out.ExecutionEndDateTime),
    ...(out.Comment !== undefined ? { comment: out.Comment } : {}),
    stdout: out.StandardOutputContent ?? '',
    stderr: out.StandardErrorContent ?? '',
    ...(stdoutRef ? { stdoutRef } : {}),
    ...(stderrRef ? { stderrRef } : {}),
  };
}

/** SSM gives the execution times as ISO 8601 strings (empty before the plugin ran). */
function isoTime<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? {} : ({ [key]: new Date(ms).toISOString() } as Record<K, string>);
}
