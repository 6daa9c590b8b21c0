/**
 * Reading SSM Run Command invocations back as fleetbench InvocationResults. Shared by the command
 * runner's `poll` (the reconciler) and the status-event translator (on-invocation-status): how a
 * command tells it is fleetbench's (its Comment; the journal's `PROVIDER#` items are what the handlers
 * trust), how SSM statuses map to ours, and where the output is: with SSM (`ssm:` refs, what
 * GetCommandInvocation returns, ssm-invocation-reader.ts) or, for a command sent with an output bucket, in
 * S3 (`s3://…`).
 */
import { type CommandInvocation, ListCommandInvocationsCommand, type SSMClient } from '@aws-sdk/client-ssm';
import {
  type InvocationResult,
  type InvocationStatus,
  TERMINAL_INVOCATION_STATUSES,
} from '../../core/run.js';
import { isThrottling, named, type RetryPolicy, withRetry } from './retry.js';
import { type InvocationOutput, ssmOutputRef } from './ssm-invocation-reader.js';

/** SSM's limit on a command's Comment. */
export const MAX_COMMENT_LENGTH = 100;
const COMMENT_PREFIX = 'fleetbench';
/** Stands for a command id that did not fit in the Comment (the journal's `PROVIDER#` item has it). */
const ELIDED = '*';

/** Where a command's output copied to S3 goes in the output bucket (ssm-output-spill.ts). */
export function outputKeyPrefix(runId: string, commandId: string): string {
  return `runs/${runId}/outputs/${commandId}`;
}

/** The fleetbench ids of a command, as its Comment or the journal tell them. */
export type CommandIds = { readonly runId: string; readonly commandId: string };

/**
 * `fleetbench <runId> <commandId>`, or `fleetbench <runId> *` when that would pass SSM's 100 characters
 * (a long workload name): for people reading the Run Command console; the journal maps the SSM command
 * id to the ids (`PROVIDER#`).
 * @example
 * commandComment('cpu-20250102-030405-i000', 'a1.repetition.cpu.3'); // 'fleetbench cpu-20250102-030405-i000 a1.repetition.cpu.3'
 */
export function commandComment(runId: string, commandId: string): string {
  const full = `${COMMENT_PREFIX} ${runId} ${commandId}`;
  if (full.length <= MAX_COMMENT_LENGTH) return full;
  return `${COMMENT_PREFIX} ${runId} ${ELIDED}`.slice(0, MAX_COMMENT_LENGTH);
}

/**
 * Reads a Comment: the ids when it is fleetbench's and complete, `'elided'` when it is fleetbench's but the
 * command id did not fit, `undefined` when the command is somebody else's.
 */
export function parseCommandComment(comment: string | undefined): CommandIds | 'elided' | undefined {
  const match = /^fleetbench (\S+) (\S+)$/.exec(comment ?? '');
  if (!match?.[1] || !match[2]) return comment?.startsWith(`${COMMENT_PREFIX} `) ? 'elided' : undefined;
  return match[2] === ELIDED ? 'elided' : { runId: match[1], commandId: match[2] };
}

/**
 * Turns the S3 URL SSM reports for an output (path-style `https://s3.<region>.amazonaws.com/<bucket>/<key>`
 * or virtual-hosted `https://<bucket>.s3.<region>.amazonaws.com/<key>`) into `s3://<bucket>/<key>`.
 * @example
 * s3RefFromUrl('https://s3.us-east-1.amazonaws.com/b/runs/x/stdout'); // 's3://b/runs/x/stdout'
 */
export function s3RefFromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol === 's3:') return url;
  const path = parsed.pathname.replace(/^\/+/, '');
  const virtual = /^(.+)\.s3[.-]/.exec(parsed.hostname);
  const pathStyle = /^s3[.-]/.test(parsed.hostname) || parsed.hostname === 's3.amazonaws.com';
  if (virtual?.[1] && !pathStyle) return path ? `s3://${virtual[1]}/${decodeKey(path)}` : undefined;
  const slash = path.indexOf('/');
  if (slash <= 0) return undefined;
  return `s3://${path.slice(0, slash)}/${decodeKey(path.slice(slash + 1))}`;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/**
 * Our status for an SSM invocation (or event) status. SSM reports delivery problems as `Failed` with
 * details `Undeliverable`/`Terminated`, and timeouts as `TimedOut` or a `… Timed Out` detail.
 */
export function invocationStatus(status: string | undefined, details?: string): InvocationStatus | undefined {
  const detail = (details ?? '').toLowerCase();
  if (detail === 'undeliverable') return 'Undeliverable';
  if (detail === 'terminated') return 'Terminated';
  if (detail.endsWith('timed out')) return 'TimedOut';
  switch ((status ?? '').replace(/\s+/g, '').toLowerCase()) {
    case 'pending':
      return 'Pending';
    case 'inprogress':
      return 'InProgress';
    case 'delayed':
      return 'Delayed';
    case 'success':
      return 'Success';
    case 'failed':
      return 'Failed';
    case 'timedout':
    case 'deliverytimedout':
    case 'executiontimedout':
      return 'TimedOut';
    case 'cancelled':
      return 'Cancelled';
    case 'cancelling':
      return 'Cancelling';
    case 'undeliverable':
      return 'Undeliverable';
    case 'terminated':
      return 'Terminated';
    default:
      return undefined;
  }
}

export function isTerminal(status: InvocationStatus | undefined): boolean {
  return status !== undefined && TERMINAL_INVOCATION_STATUSES.includes(status);
}

const DELIVERY_ERRORS: Partial<Record<InvocationStatus, string>> = {
  Undeliverable:
    'SSM could not deliver the command: the instance is stopped, its agent is offline, or its role lacks AmazonSSMManagedInstanceCore',
  Terminated: 'the instance stopped or terminated while the command ran',
};

/**
 * One invocation listed by ListCommandInvocations (Details=true gives the plugin's exit code and times) as
 * an InvocationResult; its output is with SSM (`ssm:` refs), or in S3 when SSM reports output URLs.
 */
export function toInvocationResult(
  invocation: CommandInvocation,
  ids: CommandIds,
): InvocationResult | undefined {
  const hostId = invocation.InstanceId;
  const status = invocationStatus(invocation.Status, invocation.StatusDetails);
  if (!hostId || !status || !invocation.CommandId) return undefined;
  const plugin = invocation.CommandPlugins?.[0];
  const exitCode = plugin?.ResponseCode;
  return result(ids, hostId, status, {
    ...(exitCode !== undefined && exitCode >= 0 ? { exitCode } : {}),
    ...(plugin?.ResponseStartDateTime ? { startedAt: plugin.ResponseStartDateTime.toISOString() } : {}),
    ...(plugin?.ResponseFinishDateTime ? { finishedAt: plugin.ResponseFinishDateTime.toISOString() } : {}),
    ...outputRefs(
      invocation.CommandId,
      hostId,
      s3RefFromUrl(plugin?.StandardOutputUrl ?? invocation.StandardOutputUrl),
      s3RefFromUrl(plugin?.StandardErrorUrl ?? invocation.StandardErrorUrl),
    ),
  });
}

/**
 * One invocation as GetCommandInvocation gives it (ssm-invocation-reader.ts) as an InvocationResult.
 * `fallbackStatus` is used when SSM has not caught up with the event that announced a terminal status.
 */
export function fromInvocationOutput(
  invocation: InvocationOutput,
  ids: CommandIds,
  fallbackStatus?: InvocationStatus,
): InvocationResult | undefined {
  const status = isTerminal(invocation.status) ? invocation.status : (fallbackStatus ?? invocation.status);
  if (!status) return undefined;
  return result(ids, invocation.instanceId, status, {
    ...(invocation.exitCode !== undefined ? { exitCode: invocation.exitCode } : {}),
    ...(invocation.startedAt ? { startedAt: invocation.startedAt } : {}),
    ...(invocation.finishedAt ? { finishedAt: invocation.finishedAt } : {}),
    ...outputRefs(invocation.commandId, invocation.instanceId, invocation.stdoutRef, invocation.stderrRef),
  });
}

type ResultDetails = Pick<
  InvocationResult,
  'exitCode' | 'startedAt' | 'finishedAt' | 'stdoutRef' | 'stderrRef'
>;

function result(
  ids: CommandIds,
  hostId: string,
  status: InvocationStatus,
  details: ResultDetails,
): InvocationResult {
  const error = DELIVERY_ERRORS[status];
  return {
    runId: ids.runId,
    commandId: ids.commandId,
    hostId,
    status,
    ...details,
    ...(error ? { error } : {}),
  };
}

/** S3 refs when SSM uploaded the output, else refs to the output SSM holds itself. */
function outputRefs(
  ssmCommandId: string,
  instanceId: string,
  s3Stdout: string | undefined,
  s3Stderr: string | undefined,
): Pick<InvocationResult, 'stdoutRef' | 'stderrRef'> {
  if (s3Stdout || s3Stderr)
    return { ...(s3Stdout ? { stdoutRef: s3Stdout } : {}), ...(s3Stderr ? { stderrRef: s3Stderr } : {}) };
  return {
    stdoutRef: ssmOutputRef(ssmCommandId, instanceId, 'stdout'),
    stderrRef: ssmOutputRef(ssmCommandId, instanceId, 'stderr'),
  };
}

/** Errors SSM returns while a just-sent command is not visible yet. */
const isRetryable = (error: unknown) =>
  isThrottling(error) || named('InvocationDoesNotExist', 'InvalidCommandId')(error);

/** Every invocation of an SSM command (all pages), with plugin details. */
export async function listInvocations(
  ssm: SSMClient,
  commandId: string,
  policy: RetryPolicy,
): Promise<CommandInvocation[]> {
  return withRetry(
    async () => {
      const invocations: CommandInvocation[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ssm.send(
          new ListCommandInvocationsCommand({
            CommandId: commandId,
            Details: true,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        invocations.push(...(page.CommandInvocations ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      return invocations;
    },
    isRetryable,
    policy,
  );
}
