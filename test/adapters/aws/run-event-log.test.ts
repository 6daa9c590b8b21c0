import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { cloudEventOf, RunEventLog, runFilterPattern } from '../../../lib/adapters/aws/run-event-log.js';
import { awsError, noWait } from './aws-fakes.js';

const logs = mockClient(CloudWatchLogsClient);
const GROUP = '/aws/events/Fleetbench/run-events';
const RUN = 'cpu-20250102-030405-i000';

/** A log line as the EventBridge → CloudWatch Logs target writes it: the whole EventBridge event. */
function line(id: string, type: string, timestamp: number) {
  const detail = {
    specversion: '1.0',
    id,
    type,
    source: `fleetbench/aws/${RUN}`,
    time: new Date(timestamp).toISOString(),
    data: { runId: RUN },
  };
  return {
    timestamp,
    message: JSON.stringify({ version: '0', 'detail-type': type, source: 'dev.fleetbench', detail }),
  };
}

function eventLog() {
  return new RunEventLog({
    logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
    logGroupName: GROUP,
    retry: noWait(),
  });
}

beforeEach(() => {
  logs.reset();
});

describe('Class: RunEventLog', () => {
  it("reads every page of the run's events, filtered on the run id, oldest first", async () => {
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [line('b', 'dev.fleetbench.task.completed', 2_000)], nextToken: 'page-2' })
      .resolvesOnce({
        events: [line('a', 'dev.fleetbench.run.started', 1_000), { timestamp: 3_000, message: 'not json' }],
      });

    const events = await eventLog().read(RUN, { since: 500 });

    expect(events.map((e) => [e.timestamp, e.event.id])).toEqual([
      [1_000, 'a'],
      [2_000, 'b'],
    ]);
    const inputs = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { logGroupName: GROUP, filterPattern: `{ $.detail.data.runId = "${RUN}" }`, startTime: 500 },
      {
        logGroupName: GROUP,
        filterPattern: `{ $.detail.data.runId = "${RUN}" }`,
        startTime: 500,
        nextToken: 'page-2',
      },
    ]);
  });

  it('retries a throttled read', async () => {
    logs.on(FilterLogEventsCommand).rejectsOnce(awsError('ThrottlingException')).resolves({ events: [] });

    await expect(eventLog().read(RUN)).resolves.toEqual([]);
    expect(logs.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
  });
});

describe('Function: runFilterPattern', () => {
  it('matches the run id in the CloudEvent data', () => {
    expect(runFilterPattern(RUN)).toBe(`{ $.detail.data.runId = "${RUN}" }`);
  });
});

describe('Function: cloudEventOf', () => {
  it.each([
    ['not JSON', 'START RequestId'],
    ['an event without a CloudEvent detail', JSON.stringify({ detail: { runId: RUN } })],
    ['no message', undefined],
  ])('skips %s', (_what, message) => {
    expect(cloudEventOf(message)).toBeUndefined();
  });
});
