/**
 * Contract of the EventBridge side with EventBridge and CloudWatch Logs as moto 5.2.1 plays them: the real
 * EventBridgePublisher sends its PutEvents chunks (moto, like AWS, refuses more than 10 entries), rules with
 * the stack's patterns route them — run CloudEvents into the run-event log group, which the real RunEventLog
 * reads back; `Stop Requested` events from sendStopRequest — as events-construct.ts wires them.
 *
 * What moto lacks, and where it is covered instead (run-event-log.test.ts, with aws-sdk-client-mock):
 * FilterLogEvents JSON patterns (`{ $.detail.data.runId = "…" }`): moto ignores them and returns every
 * line, so the log group here holds one run only. Partial PutEvents failures (FailedEntryCount) never
 * happen on moto: their retry stays in eventbridge-publisher.test.ts.
 */
import { CreateLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE, EventBridgePublisher } from '../../../lib/adapters/aws/eventbridge-publisher.js';
import { RunEventLog } from '../../../lib/adapters/aws/run-event-log.js';
import { STOP_REQUEST_EVENT, sendStopRequest } from '../../../lib/adapters/aws/stop-request.js';
import { type CloudEvent, runStarted, runStateChanged } from '../../../lib/core/cloudevents.js';
import { CONTROLLER_STATES } from '../../../lib/core/controller-state.js';
import {
  MOTO_ACCOUNT,
  MOTO_REGION,
  type MotoServer,
  recordRequests,
  startMotoServer,
} from '../../support/moto-server.js';
import { noWait, recordingLogger } from './aws-fakes.js';

const BUS = 'fleetbench';
const RUN_EVENT_LOG = '/aws/events/Fleetbench/run-events';
const STOP_LOG = '/aws/events/Fleetbench/stop-requests';
const STARTED_LOG = '/aws/events/Fleetbench/run-started';
const RUN = 'cpu-20261206-050000-ab12';

let moto: MotoServer;

/** A rule on the bus sending what matches `pattern` to a log group, as the stack's run-event rule does. */
async function route(name: string, pattern: object, logGroupName: string): Promise<void> {
  await moto.clients.logs.send(new CreateLogGroupCommand({ logGroupName }));
  await moto.clients.events.send(
    new PutRuleCommand({ Name: name, EventBusName: BUS, EventPattern: JSON.stringify(pattern) }),
  );
  await moto.clients.events.send(
    new PutTargetsCommand({
      Rule: name,
      EventBusName: BUS,
      Targets: [{ Id: 'log', Arn: `arn:aws:logs:${MOTO_REGION}:${MOTO_ACCOUNT}:log-group:${logGroupName}` }],
    }),
  );
}

async function loggedDetails(logGroupName: string): Promise<Record<string, unknown>[]> {
  const out = await moto.clients.logs.send(new FilterLogEventsCommand({ logGroupName }));
  return (out.events ?? []).map(
    (e) => (JSON.parse(e.message ?? '{}') as { detail: Record<string, unknown> }).detail,
  );
}

/** 23 CloudEvents of one run: started, then a state change per step. */
function runEvents(): CloudEvent[] {
  const time = '2026-12-06T05:00:00.000Z';
  const started = runStarted({
    runId: RUN,
    target: 'aws',
    time,
    name: 'cpu',
    planHash: 'sha256:0',
    attempt: 1,
    hosts: ['host-1'],
    workloads: ['cpu'],
  });
  const states = Array.from({ length: 22 }, (_, n) =>
    runStateChanged({
      runId: RUN,
      target: 'aws',
      time,
      from: CONTROLLER_STATES[n % CONTROLLER_STATES.length] ?? null,
      to: CONTROLLER_STATES[(n + 1) % CONTROLLER_STATES.length] ?? 'INIT',
      reason: `step ${n + 1}`,
      seq: n + 1,
    }),
  );
  return [started, ...states];
}

beforeAll(async () => {
  moto = await startMotoServer();
  await moto.clients.events.send(new CreateEventBusCommand({ Name: BUS }));
  await route('run-events', { source: [EVENT_SOURCE] }, RUN_EVENT_LOG);
  await route(
    'run-started',
    { source: [EVENT_SOURCE], 'detail-type': ['dev.fleetbench.run.started'] },
    STARTED_LOG,
  );
  await route(
    'stop-requests',
    { source: [STOP_REQUEST_EVENT.source], 'detail-type': [STOP_REQUEST_EVENT.detailType] },
    STOP_LOG,
  );
});

afterAll(async () => {
  await moto?.stop();
});

describe('Class: EventBridgePublisher on moto', () => {
  describe('Method: publish', () => {
    it('publishes 23 CloudEvents as PutEvents chunks of 10, 10 and 3 that the bus accepts', async () => {
      const sent = recordRequests(moto.clients.events);
      const logger = recordingLogger();
      const events = runEvents();

      await new EventBridgePublisher({
        client: moto.clients.events,
        eventBusName: BUS,
        logger,
        retry: noWait(),
      }).publish(events);

      const chunks = sent
        .filter((r) => r.command === 'PutEventsCommand')
        .map((r) => (r.input.Entries as object[]).length);
      expect(chunks).toEqual([10, 10, 3]);
      expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('delivers each CloudEvent whole to the run-event log, where RunEventLog reads the run back in order', async () => {
      const events = runEvents();

      const read = await new RunEventLog({
        logs: moto.clients.logs,
        logGroupName: RUN_EVENT_LOG,
        retry: noWait(),
      }).read(RUN);

      expect(read.map((r) => r.event)).toEqual(events);
    });

    it('lets a rule match on the CloudEvent type, the detail-type of each entry', async () => {
      const details = await loggedDetails(STARTED_LOG);

      expect(details.map((d) => d.type)).toEqual(['dev.fleetbench.run.started']);
    });
  });
});

describe('sendStopRequest on moto', () => {
  it('puts a Stop Requested event that the stack’s stop rule pattern matches, and no run-event rule', async () => {
    await sendStopRequest(moto.clients.events, BUS, {
      runId: RUN,
      requestedBy: 'cli:contract',
      reason: 'contract test',
      force: false,
    });

    expect(await loggedDetails(STOP_LOG)).toEqual([
      { runId: RUN, requestedBy: 'cli:contract', reason: 'contract test', force: false },
    ]);
    expect((await loggedDetails(RUN_EVENT_LOG)).some((d) => d.requestedBy !== undefined)).toBe(false);
  });
});
