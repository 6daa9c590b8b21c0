/**
 * The run CloudEvents as the stack keeps them: an EventBridge rule copies every `dev.fleetbench` event of
 * the bus into a CloudWatch Logs group (lib/infra/events-construct.ts), one EventBridge event per log line,
 * the CloudEvent as its `detail`. This reads one run's events back with FilterLogEvents and a JSON filter
 * on the run id, for `fleetbench events --target aws`.
 *
 * Delivery to the group is asynchronous and at least once: a later read may bring an event older than
 * one already read, and the same event twice. Callers following a run re-read a window behind the newest
 * event and deduplicate on the CloudEvent id (deterministic, lib/core/cloudevents.ts).
 */
import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { CloudEvent } from '../../core/cloudevents.js';
import { isThrottling, type RetryOverrides, type RetryPolicy, retryPolicy, withRetry } from './retry.js';

/** One logged CloudEvent, with the log's timestamp (the event's time, in ms). */
export type LoggedEvent = { readonly timestamp: number; readonly event: CloudEvent };

/**
 * The filter pattern of one run's events. Run ids are `[a-z0-9-]` (lib/core/task-key.ts), so the quoted
 * value needs no escaping.
 * @example
 * runFilterPattern('cpu-20250102-030405-i000'); // '{ $.detail.data.runId = "cpu-20250102-030405-i000" }'
 */
export function runFilterPattern(runId: string): string {
  return `{ $.detail.data.runId = ${JSON.stringify(runId)} }`;
}

/**
 * @example
 * const log = new RunEventLog({ logs: new CloudWatchLogsClient({}), logGroupName: outputs.eventLogGroupName });
 * for (const { event } of await log.read(runId)) console.log(event.type);
 */
export class RunEventLog {
  readonly #logs: CloudWatchLogsClient;
  readonly #group: string;
  readonly #retry: RetryPolicy;

  constructor(options: {
    readonly logs: CloudWatchLogsClient;
    readonly logGroupName: string;
    readonly retry?: RetryOverrides;
  }) {
    this.#logs = options.logs;
    this.#group = options.logGroupName;
    this.#retry = retryPolicy(options.retry);
  }

  /** The run's events logged with a timestamp at or after `since` (ms, default: all), oldest first. */
  async read(runId: string, options: { readonly since?: number } = {}): Promise<LoggedEvent[]> {
    const found: LoggedEvent[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await withRetry(
        () =>
          this.#logs.send(
            new FilterLogEventsCommand({
              logGroupName: this.#group,
              filterPattern: runFilterPattern(runId),
              ...(options.since !== undefined ? { startTime: Math.max(0, Math.floor(options.since)) } : {}),
              ...(token ? { nextToken: token } : {}),
            }),
          ),
        isThrottling,
        this.#retry,
      );
      for (const line of page.events ?? []) {
        const event = cloudEventOf(line.message);
        if (event) found.push({ timestamp: line.timestamp ?? Date.parse(event.time), event });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    // Pages come per log stream; sort is stable, so events of the same millisecond keep the log's order.
    return found.sort((a, b) => a.timestamp - b.timestamp);
  }
}

/** The CloudEvent in a logged EventBridge event (its `detail`), or undefined for any other line. */
export function cloudEventOf(message: string | undefined): CloudEvent | undefined {
  try {
    const parsed = JSON.parse(message ?? '') as { detail?: unknown };
    const detail = parsed.detail as Partial<CloudEvent> | undefined;
    if (detail && typeof detail.id === 'string' && typeof detail.type === 'string')
      return detail as CloudEvent;
  } catch {
    // Not an EventBridge event: skip it.
  }
  return undefined;
}
