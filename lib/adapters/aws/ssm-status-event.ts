/**
 * SSM's EventBridge status events as fleetbench InvocationResults. The events say which command, which
 * instance and which status, but not whose command it is nor its exit code: for a terminal status the
 * translator asks ListCommandInvocations (Details=true) for the Comment (→ runId, commandId), the
 * ResponseCode, the times and the S3 output URLs. Events of commands that are not fleetbench's give
 * `undefined`, so the handler can ignore them with a log line.
 *
 * "EC2 Command Status-change Notification" (one per command) is the safety net for lost per-instance
 * events: when the command ends, every invocation is read back and reported (duplicates are harmless).
 */
import type { CommandInvocation, SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import type { InvocationResult, InvocationStatus } from '../../core/run.js';
import { backoffMs, type RetryOverrides, type RetryPolicy, retryPolicy } from './retry.js';
import {
  type CommandIds,
  commandIdsFromPrefix,
  invocationStatus,
  isTerminal,
  listInvocations,
  parseCommandComment,
  parseOutputPrefix,
  toInvocationResult,
} from './ssm-invocations.js';

export const INVOCATION_STATUS_EVENT = 'EC2 Command Invocation Status-change Notification';
export const COMMAND_STATUS_EVENT = 'EC2 Command Status-change Notification';

const invocationEventSchema = z.object({
  source: z.literal('aws.ssm'),
  'detail-type': z.literal(INVOCATION_STATUS_EVENT),
  detail: z.looseObject({
    'command-id': z.string().min(1),
    'instance-id': z.string().min(1),
    status: z.string().min(1),
  }),
});

const commandEventSchema = z.object({
  source: z.literal('aws.ssm'),
  'detail-type': z.literal(COMMAND_STATUS_EVENT),
  detail: z.looseObject({
    'command-id': z.string().min(1),
    status: z.string().min(1),
  }),
});

/** The two SSM events on-invocation-status receives (validated by the handler with this schema). */
export const ssmStatusEventSchema = z.discriminatedUnion('detail-type', [
  invocationEventSchema,
  commandEventSchema,
]);
export type SsmStatusEvent = z.infer<typeof ssmStatusEventSchema>;
export type SsmInvocationEvent = z.infer<typeof invocationEventSchema>;
export type SsmCommandEvent = z.infer<typeof commandEventSchema>;

/** Our status for the event's status; undefined for a status fleetbench does not know. */
export function eventStatus(event: SsmStatusEvent): InvocationStatus | undefined {
  return invocationStatus(event.detail.status);
}

/** Whether the event announces an end (only those are worth an API call). */
export function isTerminalEvent(event: SsmStatusEvent): boolean {
  return isTerminal(eventStatus(event));
}

/**
 * @example
 * const translator = new SsmStatusEvents({ ssm: clients.ssm });
 * const result = await translator.invocationResult(event); // undefined: not a fleetbench command
 */
export class SsmStatusEvents {
  readonly #ssm: SSMClient;
  readonly #retry: RetryPolicy;

  constructor(options: { readonly ssm: SSMClient; readonly retry?: RetryOverrides }) {
    this.#ssm = options.ssm;
    this.#retry = retryPolicy(options.retry);
  }

  /** One instance's result; undefined when the command is not fleetbench's or the status is not an end. */
  async invocationResult(event: SsmInvocationEvent): Promise<InvocationResult | undefined> {
    const status = eventStatus(event);
    if (!isTerminal(status)) return undefined;
    const invocation = await this.#settled(event.detail['command-id'], event.detail['instance-id']);
    const ids = await this.#ids(invocation);
    return ids ? toInvocationResult(invocation, ids, status) : undefined;
  }

  /** Every instance's result of an ended command; undefined when the command is not fleetbench's. */
  async commandResults(event: SsmCommandEvent): Promise<InvocationResult[] | undefined> {
    if (!isTerminalEvent(event)) return undefined;
    const invocations = await listInvocations(this.#ssm, event.detail['command-id'], this.#retry);
    const first = invocations[0];
    const ids = first ? await this.#ids(first) : undefined;
    if (!ids) return undefined;
    return invocations
      .map((i) => toInvocationResult(i, ids))
      .filter((r): r is InvocationResult => r !== undefined);
  }

  /**
   * The invocation as SSM lists it once it shows the end the event announced; ListCommandInvocations is
   * eventually consistent, so right after the event it may still say InProgress (then the event's status wins).
   */
  async #settled(commandId: string, instanceId: string): Promise<CommandInvocation> {
    for (let attempt = 0; ; attempt += 1) {
      const [invocation] = await listInvocations(this.#ssm, commandId, this.#retry, instanceId);
      if (!invocation) throw new Error(`no invocation of ${commandId} on ${instanceId}`);
      const settled = isTerminal(invocationStatus(invocation.Status, invocation.StatusDetails));
      if (settled || attempt + 1 >= this.#retry.attempts) return invocation;
      await this.#retry.sleep(backoffMs(attempt, this.#retry));
    }
  }

  async #ids(invocation: CommandInvocation): Promise<CommandIds | undefined> {
    const parsed = parseCommandComment(invocation.Comment);
    if (parsed !== 'elided') return parsed;
    const plugin = invocation.CommandPlugins?.[0];
    return (
      parseOutputPrefix(plugin?.StandardOutputUrl ?? invocation.StandardOutputUrl) ??
      (invocation.CommandId
        ? await commandIdsFromPrefix(this.#ssm, invocation.CommandId, this.#retry)
        : undefined)
    );
  }
}
