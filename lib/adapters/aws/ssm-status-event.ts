/**
 * SSM's EventBridge status events as fleetbench InvocationResults. The events say which command, which
 * instance and which status, but not whose command it is nor its exit code: the handler finds the command
 * in the journal (`PROVIDER#`), and for a terminal status the translator asks GetCommandInvocation for the
 * exit code, the times and the output (ssm-invocation-reader.ts, which keeps it for the output store).
 *
 * "EC2 Command Status-change Notification" (one per command) is the safety net for lost per-instance
 * events: when the command ends, every invocation is listed (ListCommandInvocations) and reported
 * (duplicates are harmless); the output of the ones applied is read when they are kept.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import type { InvocationResult, InvocationStatus } from '../../core/run.js';
import { backoffMs, type RetryOverrides, type RetryPolicy, retryPolicy } from './retry.js';
import { type InvocationOutput, SsmInvocationReader } from './ssm-invocation-reader.js';
import {
  type CommandIds,
  fromInvocationOutput,
  invocationStatus,
  isTerminal,
  listInvocations,
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
 * const translator = new SsmStatusEvents({ ssm: clients.ssm, invocations });
 * const result = await translator.invocationResult(event, { runId, commandId }); // undefined: not an end
 */
export class SsmStatusEvents {
  readonly #ssm: SSMClient;
  readonly #retry: RetryPolicy;
  readonly #invocations: SsmInvocationReader;

  /** `invocations` is shared with the output store, so a host's answer reads its invocation once. */
  constructor(options: {
    readonly ssm: SSMClient;
    readonly retry?: RetryOverrides;
    readonly invocations?: SsmInvocationReader;
  }) {
    this.#ssm = options.ssm;
    this.#retry = retryPolicy(options.retry);
    this.#invocations = options.invocations ?? new SsmInvocationReader(options);
  }

  /** One instance's result of the command `ids` names; undefined when the status is not an end. */
  async invocationResult(event: SsmInvocationEvent, ids: CommandIds): Promise<InvocationResult | undefined> {
    const status = eventStatus(event);
    if (!isTerminal(status)) return undefined;
    const invocation = await this.#settled(event.detail['command-id'], event.detail['instance-id']);
    return fromInvocationOutput(invocation, ids, status);
  }

  /** Every instance's result of an ended command `ids` names; undefined when the status is not an end. */
  async commandResults(event: SsmCommandEvent, ids: CommandIds): Promise<InvocationResult[] | undefined> {
    if (!isTerminalEvent(event)) return undefined;
    const invocations = await listInvocations(this.#ssm, event.detail['command-id'], this.#retry);
    return invocations
      .map((i) => toInvocationResult(i, ids))
      .filter((r): r is InvocationResult => r !== undefined);
  }

  /**
   * The invocation once SSM shows the end the event announced; GetCommandInvocation is eventually
   * consistent, so right after the event it may still say InProgress (then the event's status wins).
   */
  async #settled(commandId: string, instanceId: string): Promise<InvocationOutput> {
    for (let attempt = 0; ; attempt += 1) {
      const invocation = await this.#invocations.get(commandId, instanceId);
      if (isTerminal(invocation.status) || attempt + 1 >= this.#retry.attempts) return invocation;
      await this.#retry.sleep(backoffMs(attempt, this.#retry));
    }
  }
}
