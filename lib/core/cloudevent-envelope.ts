/**
 * The CloudEvents envelope of every event fleetbench publishes, made by the official SDK (`cloudevents`):
 * its `CloudEvent` checks each event the builders of cloudevents.ts describe against the CloudEvents 1.0
 * JSON schema (required attributes, a URI-reference `source`, an RFC 3339 `time`, lower-case extension
 * names) and serialises it. A builder's bug therefore fails the publish loudly instead of sending an event
 * that consumers reject. The SDK (about 150 KB with its schema formats and big-number JSON parser) is
 * imported on the first publish, not when a command starts: most commands never publish.
 */
import type { CloudEvent } from './cloudevents.js';

type Sdk = typeof import('cloudevents');

let sdk: Promise<Sdk> | undefined;

/**
 * Each event as the JSON text of its CloudEvents envelope, in order.
 * @throws the SDK's ValidationError for an event that does not conform to CloudEvents 1.0
 * @example
 * await envelopeJson([runStarted({ ... })]);
 * // ['{"id":"3f…","time":"2026-01-01T12:00:00.000Z","type":"dev.fleetbench.run.started","source":"fleetbench/local/demo-…",…}']
 */
export async function envelopeJson(events: readonly CloudEvent[]): Promise<string[]> {
  // One import for every caller: publishes awaiting it resume in the order they were made.
  sdk ??= import('cloudevents');
  // The SDK is CommonJS: Node names its exports, the compiled CLI's bundle hands them over as `default`.
  const module = (await sdk) as Sdk & { default?: Sdk };
  const Envelope = module.default?.CloudEvent ?? module.CloudEvent;
  return events.map((event) => JSON.stringify(new Envelope<Record<string, unknown>>(event)));
}
