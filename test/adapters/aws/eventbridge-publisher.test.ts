import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../lib/adapters/aws/eventbridge-publisher.js';
import type { CloudEvent } from '../../../lib/core/cloudevents.js';
import { noWait, recordingLogger } from './aws-fakes.js';

const eventBridge = mockClient(EventBridgeClient);

function events(n: number): CloudEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    specversion: '1.0',
    id: `id-${i}`,
    source: 'fleetbench/aws/r',
    type: 'dev.fleetbench.task.completed',
    subject: `h::cpu::${i + 1}`,
    time: '2025-01-02T03:04:05.000Z',
    datacontenttype: 'application/json',
    data: { runId: 'r' },
  }));
}

function publisher(logger = recordingLogger()) {
  return new EventBridgePublisher({
    client: new EventBridgeClient({ region: 'us-east-1' }),
    eventBusName: 'fleetbench',
    logger,
    retry: { ...noWait(), attempts: 3 },
  });
}

beforeEach(() => {
  eventBridge.reset();
});

describe('Class: EventBridgePublisher', () => {
  it('puts 25 events as chunks of 10, 10 and 5 on the fleetbench bus', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

    await publisher().publish(events(25));

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 5]);
    const entry = calls[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: 'fleetbench',
      Source: 'dev.fleetbench',
      DetailType: 'dev.fleetbench.task.completed',
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({
      specversion: '1.0',
      id: 'id-0',
      data: { runId: 'r' },
    });
  });

  it('sends again only the entries PutEvents rejected', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }, { EventId: 'c' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });

    await publisher().publish(events(3));

    const second = eventBridge.commandCalls(PutEventsCommand)[1]?.args[0].input.Entries ?? [];
    expect(second.map((e) => JSON.parse(e.Detail ?? '{}').id)).toEqual(['id-1']);
  });

  it('logs the events still rejected after the last attempt instead of failing the use case', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const logger = recordingLogger();

    await publisher(logger).publish(events(1));

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(logger.lines).toEqual([
      {
        level: 'error',
        message: 'events not published',
        fields: { ids: ['id-0'], errors: ['InternalFailure'] },
      },
    ]);
  });
});
