/**
 * Reading SSM Run Command invocations back as fleetbench InvocationResults. Shared by the command
 * runner's `poll` (the reconciler) and the status-event translator (on-invocation-status): how a
 * command is recognised as fleetbench's (its Comment, else its S3 output prefix), how SSM statuses map
 * to ours, and where the full output lives (`s3://…`; never GetCommandInvocation's 24,000-char preview).
 */
import {
  type CommandInvocation,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  type InvocationResult,
  type InvocationStatus,
  TERMINAL_INVOCATION_STATUSES,
} from '../../core/run.js';
import { isThrottling, named, type RetryPolicy, withRetry } from './retry.js';

/** SSM's limit on a command's Comment. */
export const MAX_COMMENT_LENGTH = 100;
const COMMENT_PREFIX = 'fleetbench';
/** Stands for a command id that did not fit in the Comment; the S3 output prefix carries it then. */
const ELIDED = '*';

/** Where a command's output goes in the output bucket; it also identifies the command. */
export function outputKeyPrefix(runId: string, commandId: string): string {
  return `runs/${runId}/outputs/${commandId}`;
}

const OUTPUT_PREFIX = /(?:^|\/)runs\/([^/]+)\/outputs\/([^/]+)(?:\/|$)/;

/** The fleetbench ids of a command, as its Comment or its output prefix tell them. */
export type CommandIds = { readonly runId: string; readonly commandId: string };

/**
 * `fleetbench <runId> <commandId>`, or `fleetbench <runId> *` when that would pass SSM's 100 characters
 * (a long workload name); the output prefix `runs/<runId>/outputs/<commandId>` always holds both ids.
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

/** The ids in an output key prefix (or any key or URL under it). */
export function parseOutputPrefix(keyOrUrl: string | undefined): CommandIds | undefined {
  const match = OUTPUT_PREFIX.exec(keyOrUrl ?? '');
  return match?.[1] && match[2] ? { runId: match[1], commandId: match[2] } : undefined;
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
 * One invocation as an InvocationResult (Details=true gives the plugin's exit code, times and output URLs).
 * `fallbackStatus` is used when SSM has not caught up with the event that announced a terminal status.
 */
export function toInvocationResult(
  invocation: CommandInvocation,
  ids: CommandIds,
  fallbackStatus?: InvocationStatus,
): InvocationResult | undefined {
  const hostId = invocation.InstanceId;
  const mapped = invocationStatus(invocation.Status, invocation.StatusDetails);
  const status = isTerminal(mapped) ? mapped : (fallbackStatus ?? mapped);
  if (!hostId || !status) return undefined;
  const plugin = invocation.CommandPlugins?.[0];
  const exitCode = plugin?.ResponseCode;
  const stdoutRef = s3RefFromUrl(plugin?.StandardOutputUrl ?? invocation.StandardOutputUrl);
  const stderrRef = s3RefFromUrl(plugin?.StandardErrorUrl ?? invocation.StandardErrorUrl);
  const error = DELIVERY_ERRORS[status];
  return {
    runId: ids.runId,
    commandId: ids.commandId,
    hostId,
    status,
    ...(exitCode !== undefined && exitCode >= 0 ? { exitCode } : {}),
    ...(plugin?.ResponseStartDateTime ? { startedAt: plugin.ResponseStartDateTime.toISOString() } : {}),
    ...(plugin?.ResponseFinishDateTime ? { finishedAt: plugin.ResponseFinishDateTime.toISOString() } : {}),
    ...(stdoutRef ? { stdoutRef } : {}),
    ...(stderrRef ? { stderrRef } : {}),
    ...(error ? { error } : {}),
  };
}

/** Errors SSM returns while a just-sent command is not visible yet. */
const isNotVisibleYet = named('InvocationDoesNotExist', 'InvalidCommandId');
const isRetryable = (error: unknown) => isThrottling(error) || isNotVisibleYet(error);

/** Raised (and retried) when ListCommandInvocations has nothing for an invocation that must exist. */
class InvocationNotVisible extends Error {
  override readonly name = 'InvocationDoesNotExist';
}

/**
 * Every invocation of an SSM command (all pages), with plugin details. With `instanceId`, the one
 * invocation on that instance; an empty answer right after sending is retried as InvocationDoesNotExist.
 */
export async function listInvocations(
  ssm: SSMClient,
  commandId: string,
  policy: RetryPolicy,
  instanceId?: string,
): Promise<CommandInvocation[]> {
  return withRetry(
    async () => {
      const invocations: CommandInvocation[] = [];
      let nextToken: string | undefined;
      do {
        const page = await ssm.send(
          new ListCommandInvocationsCommand({
            CommandId: commandId,
            ...(instanceId ? { InstanceId: instanceId } : {}),
            Details: true,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        invocations.push(...(page.CommandInvocations ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      if (instanceId && invocations.length === 0) {
        throw new InvocationNotVisible(`no invocation of ${commandId} on ${instanceId} yet`);
      }
      return invocations;
    },
    isRetryable,
    policy,
  );
}

/** The ids of a command whose Comment was elided, from the output prefix it was sent with. */
export async function commandIdsFromPrefix(
  ssm: SSMClient,
  commandId: string,
  policy: RetryPolicy,
): Promise<CommandIds | undefined> {
  const out = await withRetry(
    () => ssm.send(new ListCommandsCommand({ CommandId: commandId })),
    isRetryable,
    policy,
  );
  return parseOutputPrefix(out.Commands?.[0]?.OutputS3KeyPrefix);
}
