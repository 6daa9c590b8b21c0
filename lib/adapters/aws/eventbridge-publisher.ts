/**
 * EventPublisher on EventBridge: every CloudEvent goes to the `fleetbench` bus with Source
 * `dev.fleetbench`, DetailType = the CloudEvent type (so rules can match `dev.fleetbench.task.failed`) and
 * Detail = the whole CloudEvent. PutEvents takes 10 entries and may reject some of them (throttling,
 * internal errors): those are sent again with backoff. Events are observability — the journal is the
 * record — so entries still rejected after the last attempt are logged, and the use case goes on.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { envelopeJson } from '../../core/cloudevent-envelope.js';
import type { CloudEvent } from '../../core/cloudevents.js';
import type { EventPublisher, Logger } from '../../core/ports.js';
import {
  backoffMs,
  chunk,
  isThrottling,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';

export const EVENT_SOURCE = 'dev.fleetbench';
/** PutEvents takes at most 10 entries. */
export const PUT_EVENTS_BATCH = 10;

/** The PutEvents entry of one CloudEvent, whose envelope (envelopeJson) is the Detail. */
export function toEntry(event: CloudEvent, eventBusName: string, envelope: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: envelope,
    Time: new Date(event.time),
  };
}

/**
 * @example
 * const events = new EventBridgePublisher({ client: clients.events, eventBusName: 'fleetbench', logger });
 * await events.publish([runStarted({ ... })]);
 */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #bus: string;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;

  constructor(options: {
    readonly client: EventBridgeClient;
    readonly eventBusName: string;
    readonly logger: Logger;
    readonly retry?: RetryOverrides;
  }) {
    this.#client = options.client;
    this.#bus = options.eventBusName;
    this.#logger = options.logger;
    this.#retry = retryPolicy(options.retry);
  }

  async publish(events: readonly CloudEvent[]): Promise<void> {
    const envelopes = await envelopeJson(events);
    const entries = events.map((event, i) => ({
      event,
      entry: toEntry(event, this.#bus, envelopes[i] ?? ''),
    }));
    for (const batch of chunk(entries, PUT_EVENTS_BATCH)) await this.#put(batch);
  }

  async #put(batch: readonly { event: CloudEvent; entry: PutEventsRequestEntry }[]): Promise<void> {
    let pending = [...batch];
    let errors: string[] = [];
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= this.#retry.attempts) {
        this.#logger.error('events not published', { ids: pending.map((p) => p.event.id), errors });
        return;
      }
      if (attempt > 0) await this.#retry.sleep(backoffMs(attempt - 1, this.#retry));
      const current = pending;
      const out = await withRetry(
        () => this.#client.send(new PutEventsCommand({ Entries: current.map((p) => p.entry) })),
        isThrottling,
        this.#retry,
      );
      if (!out.FailedEntryCount) return;
      // Results are in request order; a failed entry has an ErrorCode instead of an EventId.
      const failed = current.filter((_, i) => out.Entries?.[i]?.ErrorCode !== undefined);
      errors = current.flatMap((_, i) => (out.Entries?.[i]?.ErrorCode ? [out.Entries[i].ErrorCode] : []));
      pending = failed;
    }
  }
}
