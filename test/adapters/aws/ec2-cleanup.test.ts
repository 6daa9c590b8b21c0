/**
 * "No instance left behind", end to end on the use cases: plan-run launches a fleet through the real
 * Ec2HostProvider (EC2 and SSM played by FakeFleet), the journal and catalog are the real repositories on
 * dynalite, and finalize-run, reconcileRuns and reconcileHosts must terminate every provisioned host on every
 * path — success, failure, stop, forced stop, a run that could not start, an orphan — and nothing else.
 */
import {
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ec2HostProvider } from '../../../lib/adapters/aws/ec2-host-provider.js';
import { changeState } from '../../../lib/app/controller.js';
import { finalizeRun } from '../../../lib/app/finalize-run.js';
import { planRun } from '../../../lib/app/plan-run.js';
import { HOST_GRACE_MS, reconcileHosts, reconcileRuns } from '../../../lib/app/reconcile.js';
import { type CloudEvent, EVENT_TYPES } from '../../../lib/core/cloudevents.js';
import { ConflictError, RunCannotStartError } from '../../../lib/core/errors.js';
import { HostCapacityError } from '../../../lib/core/host-lifecycle.js';
import type { Deps } from '../../../lib/core/ports.js';
import { startTestDynalite, type TestDynalite } from '../../support/dynalite.js';
import { dynaliteDeps } from '../../support/dynalite-deps.js';
import { awsError, noWait, recordingLogger } from './aws-fakes.js';
import { AL2023, FakeFleet, manualClock, PROFILE_ARN } from './ec2-fake-fleet.js';

const MINUTE = 60_000;

let db: TestDynalite;
let clock: ReturnType<typeof manualClock>;
let fleet: FakeFleet;
let events: CloudEvent[];
let log: ReturnType<typeof recordingLogger>;
let deps: Deps;
let seq = 0;

function plan(
  hosts: unknown = { provision: { count: 7, instanceType: 'c7g.large', ami: AL2023 } },
  extra = {},
) {
  return {
    name: 'cleanup',
    hosts,
    workloads: [{ name: 'cpu', plugin: 'shell', options: { command: 'true' } }],
    ...extra,
  };
}

function newRunId(): string {
  seq += 1;
  return `cleanup-20260301-100000-${String(seq).padStart(4, '0')}`;
}

function terminateCalls(): string[][] {
  return fleet.ec2.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds ?? []);
}

function terminatedEvents(): CloudEvent[] {
  return events.filter((e) => e.type === EVENT_TYPES.hostTerminated);
}

async function startRun(options: { keepHosts?: boolean } = {}): Promise<string> {
  const runId = newRunId();
  await planRun(deps, { plan: plan(), runId, ...options });
  return runId;
}

beforeAll(async () => {
  db = await startTestDynalite();
});

afterAll(async () => {
  await db.stop();
});

beforeEach(() => {
  clock = manualClock();
  fleet = new FakeFleet(clock);
  events = [];
  log = recordingLogger();
  deps = {
    ...dynaliteDeps(db).deps,
    hosts: new Ec2HostProvider({
      ec2: new EC2Client({ region: 'us-east-1' }),
      ssm: new SSMClient({ region: 'us-east-1' }),
      retry: noWait(),
      clock,
      instanceProfileArn: PROFILE_ARN,
    }),
    events: {
      publish: async (published) => {
        events.push(...published);
      },
    },
    clock,
    logger: log,
    target: 'aws',
  };
});

afterEach(() => {
  fleet.restore();
});

describe('Function: finalizeRun', () => {
  it.each([
    [
      'success',
      'FINISHED',
      async (runId: string) => {
        for (const to of ['RUNNING_GLOBAL_SETUP', 'RUNNING_WORKLOADS', 'RUNNING_GLOBAL_TEARDOWN'] as const)
          await changeState(deps, runId, { to, reason: 'test' });
        // Every task ran: a run that left tasks PENDING would end FAILED
        const tasks = await deps.journal.listTasks(runId);
        await deps.journal.markRunning(runId, tasks, 'test', clock.now().toISOString());
        for (const task of tasks)
          await deps.journal.recordTaskResult(runId, { ...task, status: 'COMPLETED', commandId: 'test' });
        return finalizeRun(deps, { runId });
      },
    ],
    [
      'failure',
      'FAILED',
      (runId: string) =>
        finalizeRun(deps, {
          runId,
          outcome: { error: { Error: 'Fleetbench.StepFailed', Cause: 'setup failed' } },
        }),
    ],
    [
      'stop',
      'ABORTED',
      async (runId: string) => {
        await db.catalog.requestStop(runId, {
          requestedAt: clock.now().toISOString(),
          requestedBy: 'alice',
          reason: 'wrong instance type',
          force: false,
        });
        return finalizeRun(deps, { runId });
      },
    ],
  ] as const)('terminates every provisioned host after a %s (%s)', async (_path, state, finish) => {
    const runId = await startRun();
    const ids = fleet.live.map((i) => i.id);
    expect(ids).toHaveLength(7);

    const out = await finish(runId);

    expect(out.state).toBe(state);
    expect(terminateCalls()).toEqual([ids]);
    expect(fleet.live).toEqual([]);
    const records = await db.journal.listHostRecords(runId);
    expect(records).toHaveLength(7);
    for (const record of records) {
      expect(record.state).toBe('TERMINATING');
      expect(record.history.map((h) => h.to)).toEqual([
        'REQUESTED',
        'PENDING',
        'RUNNING',
        'SSM_ONLINE',
        'IN_USE',
        'TERMINATING',
      ]);
      expect(record.reason).toBe(`run ${runId} ended ${state}`);
    }
    expect(terminatedEvents().map((e) => e.data)).toEqual(
      records.map((r) =>
        expect.objectContaining({
          runId,
          host: { id: r.instanceId, name: r.name },
          by: 'finalize-run',
          reason: `run ${runId} ended ${state}`,
        }),
      ),
    );
  });

  it('never terminates hosts the user brought', async () => {
    const mine = ['i-00000000000000aa1', 'i-00000000000000aa2'].map((id) =>
      fleet.add({ id, tags: { fleetbench: 'true' }, profileArn: PROFILE_ARN }),
    );
    const runId = newRunId();
    await planRun(deps, { plan: plan({ instanceIds: mine.map((i) => i.id) }), runId });

    await finalizeRun(deps, { runId, outcome: { error: { Error: 'Fleetbench.StepFailed' } } });

    expect(terminateCalls()).toEqual([]);
    expect(mine.map((i) => i.state)).toEqual(['running', 'running']);
  });

  it('keeps the hosts of a run with keepHosts, says so loudly, and the reconciler leaves them', async () => {
    const runId = await startRun({ keepHosts: true });
    expect((await db.journal.getRun(runId))?.keepHosts).toBe(true);

    await finalizeRun(deps, { runId, outcome: { error: { Error: 'Fleetbench.StepFailed' } } });
    clock.advance(2 * HOST_GRACE_MS);
    const report = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });

    expect(terminateCalls()).toEqual([]);
    expect(fleet.live).toHaveLength(7);
    expect(report).toEqual({ terminated: [], kept: 7 });
    expect(events.filter((e) => e.type === EVENT_TYPES.hostKept)).toHaveLength(7);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^KEEPING 7 EPHEMERAL HOST/) }),
    );
  });

  it('still ends the run when terminating fails, and the reconciler terminates the hosts later', async () => {
    const runId = await startRun();
    fleet.failTerminate = () => awsError('UnauthorizedOperation', 'denied');

    const out = await finalizeRun(deps, { runId, outcome: { error: { Error: 'Fleetbench.StepFailed' } } });

    expect(out.state).toBe('FAILED');
    expect(fleet.live).toHaveLength(7);
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('the reconciler will terminate'),
      }),
    );
    fleet.failTerminate = () => undefined;
    clock.advance(HOST_GRACE_MS);
    const report = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });
    expect(report.terminated).toHaveLength(7);
    expect(fleet.live).toEqual([]);
  });
});

describe('Function: planRun (provision)', () => {
  it('fails clearly on a capacity error, records no run and leaves no instance running', async () => {
    fleet.failLaunch = (call) =>
      call === 5 ? awsError('InsufficientInstanceCapacity', 'no c7g.large') : undefined;
    const runId = newRunId();

    const error = await planRun(deps, { plan: plan(), runId }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HostCapacityError);
    expect(error).toMatchObject({ awsCode: 'InsufficientInstanceCapacity' });
    expect(await db.catalog.get(runId)).toBeUndefined();
    expect(fleet.live).toEqual([]);
    expect(fleet.instances.size).toBeGreaterThan(0);
  });

  it('leaves out and terminates hosts that never came online, and runs on the others', async () => {
    fleet.online = (id) => !id.endsWith('2');
    const runId = await startRun();

    const meta = await db.journal.getRun(runId);
    const late = meta?.excludedHosts[0]?.host;
    expect(meta?.excludedHosts).toHaveLength(1);
    expect(late?.id.endsWith('2')).toBe(true);
    expect(fleet.instances.get(late?.id ?? '')?.state).toBe('shutting-down');
    expect(fleet.live).toHaveLength(6);
    const records = new Map((await db.journal.listHostRecords(runId)).map((r) => [r.instanceId, r]));
    expect(records.get(late?.id ?? '')?.history.map((h) => h.to)).toEqual([
      'REQUESTED',
      'PENDING',
      'RUNNING',
      'FAILED',
      'TERMINATING',
    ]);
    expect([...records.values()].filter((r) => r.state === 'IN_USE')).toHaveLength(6);
    const tasks = await db.journal.listTasks(runId);
    expect(tasks.filter((t) => t.host === late?.name).map((t) => t.status)).toEqual(['SKIPPED']);
  });

  it('terminates every launched host when the run cannot start', async () => {
    fleet.online = (id) => !id.endsWith('2');
    const runId = newRunId();

    await expect(
      planRun(deps, { plan: plan(undefined, { requireAllHosts: true }), runId }),
    ).rejects.toBeInstanceOf(RunCannotStartError);

    expect(fleet.live).toEqual([]);
    expect((await db.catalog.get(runId))?.state).toBe('FAILED');
    expect(terminatedEvents()).toHaveLength(7);
  });

  it('refuses an existing run id before launching anything (its instances would come back)', async () => {
    const runId = await startRun();

    await expect(planRun(deps, { plan: plan(), runId })).rejects.toBeInstanceOf(ConflictError);

    expect(fleet.ec2.commandCalls(RunInstancesCommand)).toHaveLength(7);
    expect(fleet.live).toHaveLength(7);
  });
});

describe('Function: planRun (resume of a provisioned run)', () => {
  it('launches a new fleet with the same names when the old one was terminated', async () => {
    const runId = await startRun();
    const before = await db.journal.getRun(runId);
    await finalizeRun(deps, { runId, outcome: { error: { Error: 'Fleetbench.StepFailed' } } });

    const out = await planRun(deps, { resume: { runId } });

    const after = await db.journal.getRun(runId);
    expect(out.attempt).toBe(2);
    expect(after?.hosts.map((h) => h.name)).toEqual(before?.hosts.map((h) => h.name));
    expect(after?.hosts.map((h) => h.id)).not.toEqual(before?.hosts.map((h) => h.id));
    expect(fleet.live.map((i) => i.id).sort()).toEqual(after?.hosts.map((h) => h.id).sort());
    expect(fleet.ec2.commandCalls(RunInstancesCommand)).toHaveLength(14);
  });

  it('uses the hosts a keepHosts run kept', async () => {
    const runId = await startRun({ keepHosts: true });
    const before = await db.journal.getRun(runId);
    await finalizeRun(deps, { runId, outcome: { error: { Error: 'Fleetbench.StepFailed' } } });

    await planRun(deps, { resume: { runId } });

    expect((await db.journal.getRun(runId))?.hosts).toEqual(before?.hosts);
    expect(fleet.ec2.commandCalls(RunInstancesCommand)).toHaveLength(7);
    expect(terminateCalls()).toEqual([]);
  });
});

describe('Function: reconcileHosts', () => {
  it('terminates the hosts of a force-stopped run once its grace period has passed, once', async () => {
    const runId = await startRun();
    // StopExecution: no teardown, no finalize. The reconciler first fails the run whose execution is gone…
    await reconcileRuns(deps, { isDriverAlive: async () => false });
    expect((await db.catalog.get(runId))?.state).toBe('FAILED');

    const early = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });
    clock.advance(HOST_GRACE_MS);
    const due = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });
    const again = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });

    expect(early).toEqual({ terminated: [], kept: 7 });
    expect(due.terminated).toHaveLength(7);
    expect(due.terminated[0]?.reason).toBe(`orphaned: run ${runId} ended FAILED`);
    expect(again).toEqual({ terminated: [], kept: 0 });
    expect(terminateCalls()).toHaveLength(1);
    expect(fleet.live).toEqual([]);
    expect(terminatedEvents().map((e) => e.data.by)).toEqual(Array(7).fill('reconciler'));

    // …and records the ends EC2 reports later.
    fleet.finishTerminations();
    await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });
    const records = await db.journal.listHostRecords(runId);
    expect(records.map((r) => r.state)).toEqual(Array(7).fill('TERMINATED'));
    expect(records[0]?.history.map((h) => h.to).slice(-3)).toEqual(['IN_USE', 'TERMINATING', 'TERMINATED']);
  });

  it("leaves a running run's hosts alone, however long it runs", async () => {
    await startRun();
    clock.advance(6 * 60 * MINUTE);

    const report = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });

    expect(report).toEqual({ terminated: [], kept: 7 });
    expect(terminateCalls()).toEqual([]);
  });

  it('terminates an orphan whose run is not in the catalog 15 minutes after its launch, and nothing else', async () => {
    const managed = (runId: string) => ({
      'fleetbench:managed': 'true',
      'fleetbench:run': runId,
      fleetbench: 'true',
    });
    const now = clock.now().getTime();
    const orphan = fleet.add({
      id: 'i-00000000000orphan',
      tags: { ...managed('ghost-20260301-090000-aaaa'), Name: 'fleetbench-ghost-20260301-090000-aaaa-1' },
      profileArn: PROFILE_ARN,
      launchTime: new Date(now - 20 * MINUTE),
    });
    const launching = fleet.add({
      id: 'i-000000000000young',
      tags: managed('young-20260301-095500-bbbb'),
      profileArn: PROFILE_ARN,
      launchTime: new Date(now - 5 * MINUTE),
    });
    const userHost = fleet.add({
      id: 'i-00000000000000user',
      tags: { fleetbench: 'true' },
      profileArn: PROFILE_ARN,
      launchTime: new Date(now - 600 * MINUTE),
    });
    const otherStack = fleet.add({
      id: 'i-0000000000000other',
      tags: managed('elsewhere-20260301-000000-cccc'),
      profileArn: 'arn:aws:iam::123456789012:instance-profile/Perf2-hosts',
      launchTime: new Date(now - 600 * MINUTE),
    });

    const report = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });

    expect(report.terminated).toEqual([
      {
        runId: 'ghost-20260301-090000-aaaa',
        hostId: orphan.id,
        reason: 'orphaned: run ghost-20260301-090000-aaaa is not in the catalog',
      },
    ]);
    expect([orphan, launching, userHost, otherStack].map((i) => i.state)).toEqual([
      'shutting-down',
      'running',
      'running',
      'running',
    ]);
    expect(terminatedEvents()).toEqual([
      expect.objectContaining({
        subject: 'fleetbench-ghost-20260301-090000-aaaa-1',
        data: expect.objectContaining({ runId: 'ghost-20260301-090000-aaaa', by: 'reconciler' }),
      }),
    ]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'terminated an orphaned ephemeral host' }),
    );
  });

  it('records a host terminated outside fleetbench as FAILED, then TERMINATED', async () => {
    const runId = await startRun();
    const [reclaimed] = fleet.live;
    if (!reclaimed) throw new Error('no host');
    reclaimed.state = 'terminated';
    reclaimed.stateReason = 'Server.SpotInstanceTermination: Spot instance termination';

    await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });

    const record = (await db.journal.listHostRecords(runId)).find((r) => r.instanceId === reclaimed.id);
    expect(record?.history.slice(-2)).toEqual([
      expect.objectContaining({
        to: 'FAILED',
        reason: 'terminated outside fleetbench: Server.SpotInstanceTermination: Spot instance termination',
      }),
      expect.objectContaining({ from: 'FAILED', to: 'TERMINATED' }),
    ]);
  });

  it('reports nothing and logs when the provider cannot list its hosts', async () => {
    fleet.ec2.on(DescribeInstancesCommand).rejects(awsError('UnauthorizedOperation', 'denied'));

    await expect(reconcileHosts(deps, { graceMs: HOST_GRACE_MS })).resolves.toEqual({
      terminated: [],
      kept: 0,
    });
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'listing ephemeral hosts failed' }),
    );
  });
});
