/**
 * The aws target end to end, short of AWS itself: run.asl.json in aws-local-stepfunctions, every Task state
 * bound to its real Lambda handler, the handlers on the real AWS adapters, the SDK clients mocked as the
 * services behave (see fake-aws.ts), the journal and catalog in dynalite. It proves the workflow and the
 * handlers agree on every payload, that SSM commands are batched as the limits require, and that a stop
 * reaches the hosts and the teardowns the way the seed's controller does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendTaskFailureCommand, SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CancelCommandCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import { sendStopRequest } from '../../lib/adapters/aws/stop-request.js';
import type { CloudEvent } from '../../lib/core/cloudevents.js';
import { BUCKET, BUS, FakeAws, fleet, type SentCommand } from './fake-aws.js';
import { context } from './fakes.js';

const STRESS_NG_STDOUT = readFileSync(
  join(import.meta.dirname, '..', 'fixtures', 'plugins', 'stress-ng', 'cpu.stdout.txt'),
  'utf8',
);

/** What a host prints: stress-ng's real YAML report for repetitions, nothing for setups and teardowns. */
const realOutput = (command: SentCommand) =>
  command.phase === 'repetition' ? { stdout: STRESS_NG_STDOUT } : {};

const cpuWorkload = { name: 'cpu', plugin: 'stress-ng', options: { stressor: 'cpu', timeout: '1s' } };

let aws: FakeAws | undefined;

afterEach(async () => {
  await aws?.stop();
  aws = undefined;
});

async function runIdOf(fake: FakeAws): Promise<string> {
  let runId: string | undefined;
  await fake.until(async () => {
    runId = (await fake.db.catalog.list({ limit: 1 }))[0]?.runId;
    return runId !== undefined;
  }, 'the run to be planned');
  return runId ?? '';
}

function putEventEntries(fake: FakeAws) {
  return fake.eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
}

function cloudEvents(fake: FakeAws): CloudEvent[] {
  return putEventEntries(fake)
    .flat()
    .filter((e) => e.Source === 'dev.fleetbench')
    .map((e) => JSON.parse(e.Detail ?? '{}') as CloudEvent);
}

describe('Workflow: run.asl.json over the aws handlers', () => {
  it('runs a plan on 120 instances to FINISHED: 3 SendCommand per step, metrics parsed from the outputs SSM returns', async () => {
    // Prepare
    aws = await FakeAws.start({ instances: fleet(120) });
    aws.behaviour = realOutput;
    const plan = {
      name: 'cpu',
      hosts: { tags: { team: 'perf' } },
      repetitions: 2,
      setup: ['dnf install -y stress-ng'],
      teardown: ['rm -rf /tmp/bench'],
      workloads: [cpuWorkload],
    };

    // Act
    const arn = aws.startExecution({ plan }, 'cpu-run');
    await aws.execution(arn).done;
    await aws.idle();

    // Assess: the execution and the catalog
    expect(aws.asyncErrors).toEqual([]);
    expect(aws.execution(arn).status).toBe('SUCCEEDED');
    const [entry] = await aws.db.catalog.list();
    const runId = entry?.runId ?? '';
    expect(entry).toMatchObject({
      name: 'cpu',
      state: 'FINISHED',
      target: 'aws',
      executionArn: arn,
      counts: { completed: 240, failed: 0, pending: 0, running: 0, skipped: 0, cancelled: 0 },
    });
    expect(entry?.hosts).toHaveLength(120);
    expect(entry?.hosts[0]).toBe('perf-001');

    // The journal: every task completed with the metrics of its stdout, kept in the journal; the audit
    // trail; the commands.
    const tasks = await aws.db.journal.listTasks(runId);
    expect(tasks).toHaveLength(240);
    for (const task of tasks) {
      expect(task).toMatchObject({ status: 'COMPLETED', exitCode: 0, durationMs: 1000.179 });
      expect(task.metrics).toEqual([
        { name: 'bogo_ops', value: 991, unit: 'ops' },
        expect.objectContaining({ name: 'bogo_ops_per_s_real', value: 990.822827 }),
        expect.objectContaining({ name: 'bogo_ops_per_s_cpu', value: 1097.061734 }),
      ]);
      expect(task.outputRef).toMatch(
        new RegExp(`^journal:${runId}/a1\\.repetition\\.cpu\\.${task.rep}/i-[0-9a-f]{17}/stdout$`),
      );
      expect(await aws.runtime.deps.outputs.read(task.outputRef ?? '')).toBe(STRESS_NG_STDOUT);
    }
    // Nothing went to S3: every output was short enough for SSM to return it.
    expect(aws.objects.size).toBe(0);
    expect((await aws.db.journal.listStates(runId)).map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'RUNNING_GLOBAL_TEARDOWN',
      'FINISHED',
    ]);
    const commands = await aws.db.journal.listCommands(runId);
    expect(commands.map((c) => c.commandId).sort()).toEqual([
      'a1.globalSetup',
      'a1.globalTeardown',
      'a1.repetition.cpu.1',
      'a1.repetition.cpu.2',
    ]);
    for (const c of commands) {
      expect(c.status).toBe('DONE');
      expect(c.providerIds).toHaveLength(3);
      expect(c.answered).toBe(120);
      expect(Object.keys((await aws.db.journal.getCommand(runId, c.commandId))?.outcomes ?? {})).toHaveLength(
        120,
      );
    }

    // SSM: one command per 50 instances and step, no output bucket, per-host seeds in the script.
    const sends = aws.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(sends).toHaveLength(12);
    const byStep = new Map<string, typeof sends>();
    for (const s of sends) byStep.set(s.Comment ?? '', [...(byStep.get(s.Comment ?? '') ?? []), s]);
    expect([...byStep.keys()]).toEqual(
      ['a1.globalSetup', 'a1.repetition.cpu.1', 'a1.repetition.cpu.2', 'a1.globalTeardown'].map(
        (id) => `fleetbench ${runId} ${id}`,
      ),
    );
    for (const [comment, batches] of byStep) {
      const commandId = comment.split(' ')[2];
      expect(batches.map((b) => b.InstanceIds?.length)).toEqual([50, 50, 20]);
      expect(new Set(batches.flatMap((b) => b.InstanceIds)).size).toBe(120);
      for (const b of batches) {
        expect(b.OutputS3BucketName).toBeUndefined();
        expect(b.Parameters?.commands?.[0]).toContain(`${runId}.${commandId}`);
        expect(b).toMatchObject({
          DocumentName: 'AWS-RunShellScript',
          CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
          MaxConcurrency: '100%',
          Parameters: { executionTimeout: ['3600'] },
        });
      }
    }
    const repetitionScript = sends.find((s) => s.Comment?.endsWith('a1.repetition.cpu.1'))?.Parameters
      ?.commands?.[0];
    const firstTask = tasks.find((t) => t.host === 'perf-001' && t.rep === 1);
    expect(repetitionScript).toContain('case "$AWS_SSM_INSTANCE_ID" in');
    expect(repetitionScript).toContain(`export FLEETBENCH_SEED='${firstTask?.seed}'`);
    expect(repetitionScript).toContain('stress-ng');

    // Step Functions: every waiting step resumed once, by SendTaskSuccess (skipped steps by run-command itself).
    expect(aws.sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(6);
    expect(aws.sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    expect(aws.waitingTokens).toEqual([]);

    // EventBridge: ≤ 10 entries per PutEvents, all CloudEvents of this run on the fleetbench bus.
    for (const entries of putEventEntries(aws)) {
      expect(entries.length).toBeLessThanOrEqual(10);
      for (const e of entries) expect(e).toMatchObject({ EventBusName: BUS, Source: 'dev.fleetbench' });
    }
    const events = cloudEvents(aws);
    const count = (type: string) => events.filter((e) => e.type === `dev.fleetbench.${type}`).length;
    expect({
      started: count('run.started'),
      stateChanges: count('run.state.changed'),
      completed: count('task.completed'),
      finished: count('run.finished'),
    }).toEqual({ started: 1, stateChanges: 4, completed: 240, finished: 1 });
    for (const e of events)
      expect(e).toMatchObject({ specversion: '1.0', source: `fleetbench/aws/${runId}` });
    expect(events.find((e) => e.type === 'dev.fleetbench.run.finished')?.data).toMatchObject({
      state: 'FINISHED',
    });
  });

  it('copies an output too long for SSM to S3 and parses the whole of it; short ones stay in the journal', async () => {
    // Prepare: host 1 logs 38,000 characters before its metrics line, past what SSM returns itself.
    aws = await FakeAws.start({ instances: fleet(2) });
    const fake = aws;
    const log = 'progress: still warming up the caches\n'.repeat(1_000);
    const METRICS = '{"ops": 12.5}\n';
    fake.behaviour = (command, instanceId) =>
      command.phase !== 'repetition'
        ? { stdout: 'set up\n' }
        : instanceId === fleet(2)[0]?.id
          ? { stdout: `${log}${METRICS}`, stderr: 'warning: governor is powersave\n' }
          : { stdout: METRICS };
    const plan = {
      name: 'cpu',
      hosts: { tags: { team: 'perf' } },
      repetitions: 1,
      setup: ['dnf install -y stress-ng'],
      workloads: [{ name: 'cpu', plugin: 'shell', options: { command: 'my-bench --json' } }],
    };

    // Act
    const arn = fake.startExecution({ plan }, 'cpu-long');
    await fake.execution(arn).done;
    await fake.idle();

    // Assess: both tasks completed with the metrics at the end of their output.
    expect(fake.asyncErrors).toEqual([]);
    const runId = (await fake.db.catalog.list())[0]?.runId ?? '';
    const [long, short] = await fake.db.journal.listTasks(runId);
    for (const task of [long, short]) {
      expect(task).toMatchObject({ status: 'COMPLETED' });
      expect(task?.metrics).toEqual([{ name: 'ops', value: 12.5, unit: '' }]);
    }
    // The long one was copied from its host by a one-host command with the output bucket, read from S3.
    const copies = fake.ssm
      .commandCalls(SendCommandCommand)
      .map((c) => c.args[0].input)
      .filter((i) => i.OutputS3BucketName !== undefined);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({
      InstanceIds: [fleet(2)[0]?.id],
      OutputS3BucketName: BUCKET,
      OutputS3KeyPrefix: `runs/${runId}/outputs/a1.repetition.cpu.1`,
      Comment: `fleetbench-output ${runId} a1.repetition.cpu.1`,
    });
    expect(long?.outputRef).toMatch(
      new RegExp(`^s3://${BUCKET}/runs/${runId}/outputs/a1\\.repetition\\.cpu\\.1/`),
    );
    expect(await fake.runtime.deps.outputs.read(long?.outputRef ?? '')).toBe(`${log}${METRICS}`);
    expect(await fake.runtime.deps.outputs.read((long?.outputRef ?? '').replace(/stdout$/, 'stderr'))).toBe(
      'warning: governor is powersave\n',
    );
    // The short one and the setup's outputs are in the journal, the setup's named by its host's outcome.
    expect(short?.outputRef).toBe(`journal:${runId}/a1.repetition.cpu.1/${fleet(2)[1]?.id}/stdout`);
    const setup = await fake.db.journal.getCommand(runId, 'a1.globalSetup');
    for (const outcome of Object.values(setup?.outcomes ?? {}))
      expect(await fake.runtime.deps.outputs.read(outcome.outputRef ?? '')).toBe('set up\n');
    // The copy's own status event was dropped as a command the journal does not know.
    expect(fake.log.lines).not.toContainEqual(expect.objectContaining({ level: 'error' }));
  });

  it('stops gracefully during a repetition: cancels that command only, fails its token, still tears down, ends ABORTED', async () => {
    // Prepare: repetition 2 never answers on its own.
    aws = await FakeAws.start({ instances: fleet(3) });
    const fake = aws;
    fake.behaviour = (command) =>
      command.commandId === 'a1.repetition.cpu.2' ? { hold: true } : realOutput(command);
    const plan = {
      name: 'cpu',
      hosts: { tags: { team: 'perf' } },
      repetitions: 3,
      setup: ['mkdir -p /tmp/bench'],
      teardown: ['rm -rf /tmp/bench'],
      workloads: [{ ...cpuWorkload, setup: ['echo setup'], teardown: ['echo teardown'] }],
    };
    const arn = fake.startExecution({ plan }, 'cpu-stop');
    const runId = await runIdOf(fake);
    await fake.until(() => fake.stepsSent.has('a1.repetition.cpu.2'), 'repetition 2 to be sent');
    const held = fake.sent.filter((c) => c.commandId === 'a1.repetition.cpu.2').map((c) => c.ssmCommandId);
    const heldToken = (await fake.db.journal.getCommand(runId, 'a1.repetition.cpu.2'))?.taskToken;

    // Act: the Stop Requested event, as the bus hands it to stop-run.
    const result = await fake.handlers.stopRun(
      {
        version: '0',
        source: 'dev.fleetbench.cli',
        'detail-type': 'Stop Requested',
        detail: { runId, requestedBy: 'cli:alice', reason: 'wrong instance type' },
      },
      context,
    );
    await fake.execution(arn).done;
    await fake.idle();

    // Assess: the coordinator cancelled the repetition in flight, and every host confirmed.
    expect(fake.asyncErrors).toEqual([]);
    expect(result).toEqual({
      recorded: true,
      forced: false,
      unconfirmed: [],
      cancelledCommands: ['a1.repetition.cpu.2'],
    });
    const cancels = fake.ssm.commandCalls(CancelCommandCommand).map((c) => c.args[0].input);
    expect(cancels).toHaveLength(1);
    expect(held).toContain(cancels[0]?.CommandId);
    expect(cancels[0]?.InstanceIds).toHaveLength(3);

    // The waiting step failed with Fleetbench.StopRequested; the teardowns were still sent, repetition 3 never.
    expect(fake.sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input)).toEqual([
      { taskToken: heldToken, error: 'Fleetbench.StopRequested', cause: 'stop requested' },
    ]);
    const steps = fake.sent.map((c) => c.commandId);
    expect(steps).toEqual([
      'a1.globalSetup',
      'a1.setup.cpu',
      'a1.repetition.cpu.1',
      'a1.repetition.cpu.2',
      'a1.teardown.cpu',
      'a1.globalTeardown',
    ]);
    const teardownIds = fake.sent.filter((c) => c.phase.endsWith('eardown')).map((c) => c.ssmCommandId);
    for (const cancel of cancels) expect(teardownIds).not.toContain(cancel.CommandId);

    // The run: ABORTED, with the seed's stop path in the audit trail.
    expect(fake.execution(arn)).toMatchObject({ status: 'FAILED', error: 'Fleetbench.RunNotFinished' });
    const entry = await fake.db.catalog.get(runId);
    expect(entry).toMatchObject({
      state: 'ABORTED',
      reason: 'stopped by cli:alice',
      stopRequest: { requestedBy: 'cli:alice', reason: 'wrong instance type', force: false },
      counts: { completed: 3, cancelled: 3, pending: 3, failed: 0, running: 0, skipped: 0 },
    });
    expect((await fake.db.journal.listStates(runId)).map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'STOPPING_WAIT_RUNNERS',
      'STOPPING_TEARDOWN',
      'ABORTED',
    ]);
    const tasks = await fake.db.journal.listTasks(runId);
    expect(tasks.filter((t) => t.rep === 2).map((t) => [t.status, t.errorType])).toEqual([
      ['CANCELLED', 'CANCELLED'],
      ['CANCELLED', 'CANCELLED'],
      ['CANCELLED', 'CANCELLED'],
    ]);
    const types = cloudEvents(fake).map((e) => e.type);
    expect(types.filter((t) => t === 'dev.fleetbench.run.stop.requested')).toHaveLength(1);
    expect(types.filter((t) => t === 'dev.fleetbench.task.cancelled')).toHaveLength(3);
  });

  it('ends STOP_FAILED within the stop Lambda’s time when timeouts.stop is longer and the hosts never confirm', async () => {
    // Prepare: repetition 1 never answers, and the hosts ignore CancelCommand; timeouts.stop is 20 minutes.
    aws = await FakeAws.start({ instances: fleet(2) });
    const fake = aws;
    fake.behaviour = (command) =>
      command.commandId === 'a1.repetition.cpu.1' ? { hold: true } : realOutput(command);
    fake.ssm.on(CancelCommandCommand).resolves({});
    const plan = {
      name: 'cpu',
      hosts: { tags: { team: 'perf' } },
      repetitions: 2,
      timeouts: { stop: '20m' },
      workloads: [cpuWorkload],
    };
    const arn = fake.startExecution({ plan }, 'cpu-stop-long');
    const runId = await runIdOf(fake);
    await fake.until(() => fake.stepsSent.has('a1.repetition.cpu.1'), 'repetition 1 to be sent');

    // Act: the function has 30.5 s left, so it can wait half a second at most.
    const result = await fake.handlers.stopRun(
      {
        version: '0',
        source: 'dev.fleetbench.cli',
        'detail-type': 'Stop Requested',
        detail: { runId, requestedBy: 'cli:alice' },
      },
      { ...context, getRemainingTimeInMillis: () => 30_500 },
    );
    fake.answerHeld('a1.repetition.cpu.1');
    await fake.execution(arn).done;
    await fake.idle();

    // Assess
    expect(result).toMatchObject({ unconfirmed: ['perf-001', 'perf-002'] });
    expect(await fake.db.catalog.get(runId)).toMatchObject({ state: 'STOP_FAILED' });
  });

  it('force-stops from the bus: StopExecution, no teardown, the run ends ABORTED with its tasks cancelled', async () => {
    // Prepare
    aws = await FakeAws.start({ instances: fleet(3) });
    const fake = aws;
    fake.behaviour = (command) =>
      command.commandId === 'a1.repetition.cpu.1' ? { hold: true } : realOutput(command);
    const plan = {
      name: 'cpu',
      hosts: { instanceIds: fleet(3).map((i) => i.id) },
      repetitions: 2,
      teardown: ['rm -rf /tmp/bench'],
      workloads: [cpuWorkload],
    };
    const arn = fake.startExecution({ plan }, 'cpu-force');
    const runId = await runIdOf(fake);
    await fake.until(() => fake.stepsSent.has('a1.repetition.cpu.1'), 'repetition 1 to be sent');

    // Act: what `fleetbench stop --force` puts on the bus.
    await sendStopRequest(fake.runtime.clients.events, BUS, {
      runId,
      requestedBy: 'cli:bob',
      reason: 'hung',
      force: true,
    });
    await fake.idle();
    await fake.execution(arn).done;

    // Assess
    expect(fake.asyncErrors).toEqual([]);
    expect(fake.sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: arn, error: 'Fleetbench.ForceStopped', cause: 'force-stopped by cli:bob: hung' },
    ]);
    expect(fake.execution(arn).status).toBe('ABORTED');
    expect(fake.sent.map((c) => c.commandId)).toEqual(['a1.repetition.cpu.1']);
    expect(fake.ssm.commandCalls(CancelCommandCommand)).toHaveLength(1);
    const entry = await fake.db.catalog.get(runId);
    expect(entry).toMatchObject({
      state: 'ABORTED',
      reason: 'force-stopped by cli:bob; teardown skipped',
      counts: { cancelled: 3, pending: 3, completed: 0, running: 0 },
    });
    expect((await fake.db.journal.listStates(runId)).map((s) => s.to)).toEqual([
      'INIT',
      'RUNNING_GLOBAL_SETUP',
      'RUNNING_WORKLOADS',
      'STOPPING_WAIT_RUNNERS',
      'ABORTED',
    ]);
    // The token of the stopped execution was gone: the late failure was dropped, not an error.
    expect(fake.log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'task token already closed; outcome dropped' }),
    );
  });
});
