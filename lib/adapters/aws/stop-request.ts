/**
 * The `Stop Requested` event: how anyone (the CLI's `fleetbench stop`, a console user, a script with
 * `aws events put-events`) asks the aws target to stop a run. The stack routes it from the fleetbench bus
 * to the stop-run function; this module defines its shape once for both sides.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { EngineError } from '../../core/errors.js';

export const STOP_REQUEST_EVENT = { source: 'dev.fleetbench.cli', detailType: 'Stop Requested' } as const;

export type StopRequestDetail = {
  readonly runId: string;
  readonly requestedBy: string;
  readonly reason?: string;
  readonly force?: boolean;
};

/** The PutEvents entry of a stop request. */
export function stopRequestEntry(detail: StopRequestDetail, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: STOP_REQUEST_EVENT.source,
    DetailType: STOP_REQUEST_EVENT.detailType,
    Detail: JSON.stringify(detail),
  };
}

/**
 * Sends a stop request to the bus; the stop itself happens asynchronously in the stop-run function.
 * @example
 * await sendStopRequest(clients.events, config.eventBusName, { runId, requestedBy: 'cli:alice' });
 */
export async function sendStopRequest(
  client: EventBridgeClient,
  eventBusName: string,
  detail: StopRequestDetail,
): Promise<void> {
  const out = await client.send(new PutEventsCommand({ Entries: [stopRequestEntry(detail, eventBusName)] }));
  const failure = out.Entries?.[0];
  if (out.FailedEntryCount || failure?.ErrorCode) {
    throw new EngineError(
      `stop request for ${detail.runId} not accepted: ${failure?.ErrorCode ?? 'unknown'} ${failure?.ErrorMessage ?? ''}`.trim(),
      {
        hint: 'retry in a moment; check the caller may events:PutEvents on the fleetbench bus',
      },
    );
  }
}
