/**
 * The CLI with `--target aws` against a fake account (test/lambdas/fake-aws.ts): the stack's outputs from
 * DescribeStacks, runs started with StartExecution and carried out by the real handlers over the ASL, the
 * journal and catalog read from dynalite through the stack's table names, stops as `Stop Requested` events,
 * events from the run-event log group. The CLI's own SDK clients are the mocked ones; its DynamoDB client
 * reaches dynalite through the standard AWS_ENDPOINT_URL_DYNAMODB variable.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import type { CloudEvent } from '../../lib/core/cloudevents.js';
import {
  EVENT_LOG_GROUP,
  FakeAws,
  fleet,
  REGION,
  type SentCommand,
  STATE_MACHINE_ARN,
} from '../lambdas/fake-aws.js';
import { type CliResult, runCli } from '../support/cli.js';

const STRESS_NG_LIKE = JSON.stringify({ ops_per_s: 1234.5 });

const planYaml = (hosts = '{ tags: { team: perf } }') => `name: cpu
hosts: ${hosts}
repetitions: 2
setup: ["mkdir -p /tmp/bench"]
teardown: ["rm -rf /tmp/bench"]
workloads:
  - name: cpu
    plugin: shell
    options: { command: "my-bench --json" }
`;

/** Every shell repetition prints a JSON object; setups and teardowns print nothing. */
const answer = (command: SentCommand) =>
  command.phase === 'repetition' ? { stdout: `${STRESS_NG_LIKE}\n` } : {};

let aws: FakeAws;
let dir: string;

beforeEach(async () => {
  aws = await FakeAws.start({ instances: fleet(3) });
  aws.behaviour = answer;
  dir = await mkdtemp(join(tmpdir(), 'fleetbench-aws-cli-'));
  // What the SDK reads from the environment (the CLI passes no credentials or endpoints itself).
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', aws.db.endpoint);
  vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'no-config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'no-credentials'));
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_REGION', undefined);
  vi.stubEnv('AWS_DEFAULT_REGION', undefined);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.stop();
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, {
    env: { AWS_REGION: REGION, FLEETBENCH_POLL_MS: '5', FLEETBENCH_HOME: join(dir, '.fleetbench'), ...env },
    cwd: dir,
  });
}

async function writePlan(text = planYaml()): Promise<string> {
  const path = join(dir, 'plan.yaml');
  await writeFile(path, text);
  return path;
}

/** Starts a run detached and waits until `commandId` is in flight on the fleet. */
async function startHeld(commandId: string): Promise<string> {
  aws.behaviour = (command) => (command.commandId === commandId ? { hold: true } : answer(command));
  const started = await cli(['run', await writePlan(), '--target', 'aws', '--detach']);
  expect(started.code).toBe(0);
  const runId = started.stdout.replace('Started run ', '').trim();
  await aws.until(() => aws.stepsSent.has(commandId), `${commandId} to be in flight`);
  return runId;
}

describe('CLI: --target aws', () => {
  describe('Command: run', () => {
    it('starts an execution with the validated plan and the run id, follows it, and prints the summary', async () => {
      const r = await cli(['run', await writePlan(), '--target', 'aws']);

      expect(r.stderr).not.toMatch(/error/);
      expect(r.code).toBe(0);
      const runId = /^Started run (\S+)$/m.exec(r.stdout)?.[1] ?? '';
      expect(runId).toMatch(/^cpu-\d{8}-\d{6}-[a-z0-9]{4}$/);
      const [start] = aws.sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
      expect(start).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, name: runId });
      const input = JSON.parse(start?.input ?? '{}') as { runId: string; plan: Record<string, unknown> };
      expect(input.runId).toBe(runId);
      // The plan as validated here: defaults filled in, durations in seconds.
      expect(input.plan).toMatchObject({ name: 'cpu', repetitions: 2, timeouts: { task: 3600, stop: 30 } });
      expect(r.stdout).toContain(
        `Run ${runId} FINISHED: 6 completed, 0 failed, 0 skipped, 0 cancelled, 0 pending.`,
      );
      expect(r.stdout).toMatch(/^cpu\s+6\s+0\s+0\s+\S+\s+ops_per_s=1\.235 k$/m);
      // The progress lines (no TTY: one per step), as a local run prints them.
      expect(r.stderr).toContain('globalSetup — 0/6 tasks');
      expect(r.stderr).toMatch(/cpu rep 2 — [36]\/6 tasks/);
      expect(r.stderr).toMatch(/globalTeardown — 6\/6 tasks/);
      expect((await aws.db.catalog.get(runId))?.state).toBe('FINISHED');
      expect(aws.cloudformation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
        StackName: 'Fleetbench',
      });
    });

    it('prints the same JSON as `show --json`, and `runs --json` and `status --json` read the stack', async () => {
      const r = await cli(['run', await writePlan(), '--target', 'aws', '--json']);
      expect(r.code).toBe(0);
      const view = JSON.parse(r.stdout) as RunView;

      const show = await cli(['show', view.runId, '--target', 'aws', '--json']);
      const status = await cli(['status', view.runId, '--target', 'aws', '--json']);
      const runs = await cli(['runs', '--target', 'aws', '--json']);

      expect(JSON.parse(show.stdout)).toEqual(view);
      expect(JSON.parse(status.stdout)).toEqual(view);
      expect(view).toMatchObject({ state: 'FINISHED', target: 'aws', counts: { completed: 6 } });
      expect(view.tasks[0]?.metrics).toEqual({ ops_per_s: { value: 1234.5, unit: '' } });
      expect(JSON.parse(runs.stdout)).toEqual([
        {
          runId: view.runId,
          name: 'cpu',
          state: 'FINISHED',
          target: 'aws',
          createdAt: view.createdAt,
          finishedAt: view.finishedAt,
          counts: view.counts,
        },
      ]);
    });

    it('returns right after printing the run id with --detach', async () => {
      aws.behaviour = (command) => ({ ...answer(command), hold: command.phase === 'repetition' });

      const r = await cli(['run', await writePlan(), '--target', 'aws', '--detach']);

      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Started run cpu-\d{8}-\d{6}-[a-z0-9]{4}\n$/);
      expect(r.stderr).toContain('--target aws');
      expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    });

    it.each([
      [
        'an invalid plan',
        planYaml().replace('plugin: shell', 'plugin: shel'),
        /plan\.yaml:\d+:\d+: .*unknown plugin "shel"/,
      ],
      ['local hosts', planYaml('{ local: 3 }'), /local hosts cannot run on the aws target/],
    ])('rejects %s with exit 2 before calling AWS', async (_what, text, message) => {
      const r = await cli(['run', await writePlan(text), '--target', 'aws']);

      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(aws.cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
      expect(aws.sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });

    it("reports why the stack could not start the run, from the Plan run step's error (exit 2)", async () => {
      const r = await cli([
        'run',
        await writePlan(planYaml('{ tags: { team: nobody } }')),
        '--target',
        'aws',
      ]);

      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/^Started run cpu-/);
      expect(r.stderr).toMatch(
        /^error: run cpu-\S+ could not start: no running instance has the tags team=nobody \(see the "Plan run" step of execution arn:aws:states:/,
      );
    });

    it('refuses --detach on the local target', async () => {
      const r = await cli(['run', await writePlan(planYaml('{ local: 1 }')), '--detach']);

      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--detach needs --target aws');
    });
  });

  describe('Command: show --output', () => {
    it("prints a task's stdout and stderr wherever the run kept them: the journal, or S3 when too long for SSM", async () => {
      // Prepare: perf-001's second repetition logs 30,000 characters before its metrics line.
      const long = `${'still warming up\n'.repeat(1_800)}${STRESS_NG_LIKE}\n`;
      aws.behaviour = (command, instanceId) =>
        command.commandId === 'a1.repetition.cpu.2' && instanceId === fleet(1)[0]?.id
          ? { stdout: long, stderr: 'governor: powersave\n' }
          : answer(command);
      const ran = await cli(['run', await writePlan(), '--target', 'aws', '--json']);
      const runId = (JSON.parse(ran.stdout) as RunView).runId;

      // Act
      const short = await cli(['show', runId, '--target', 'aws', '--output', 'perf-002::cpu::1']);
      const copied = await cli(['show', runId, '--target', 'aws', '--output', 'perf-001::cpu::2']);
      const unknown = await cli(['show', runId, '--target', 'aws', '--output', 'perf-009::cpu::1']);

      // Assess
      expect([short.code, short.stdout, short.stderr]).toEqual([0, `${STRESS_NG_LIKE}\n`, '']);
      expect([copied.code, copied.stdout, copied.stderr]).toEqual([0, long, 'governor: powersave\n']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(`run ${runId} has no task perf-009::cpu::1`);
    });
  });

  describe('Command: rm', () => {
    it('removes an ended run from the catalog, announces it on the bus, and --purge deletes its journal items and output objects', async () => {
      // Prepare: one output too long for SSM to return, so the run keeps a copy of it in the bucket
      const long = `${'still warming up\n'.repeat(1_800)}${STRESS_NG_LIKE}\n`;
      aws.behaviour = (command, instanceId) =>
        command.commandId === 'a1.repetition.cpu.2' && instanceId === fleet(1)[0]?.id
          ? { stdout: long }
          : answer(command);
      const ran = await cli(['run', await writePlan(), '--target', 'aws', '--json']);
      const { runId } = JSON.parse(ran.stdout) as { runId: string };
      const objectsBefore = [...aws.objects.keys()].filter((k) => k.includes(`/runs/${runId}/`)).length;

      // Act
      const removed = await cli(['rm', runId, '--target', 'aws']);
      const listed = await cli(['runs', '--target', 'aws', '--json']);
      const purged = await cli(['rm', runId, '--purge', '--target', 'aws']);

      // Assess
      expect(removed.stdout).toBe(
        `Removed run ${runId} (FINISHED) from the catalog; its journal, events and outputs are kept (delete them with --purge).\n`,
      );
      expect(JSON.parse(listed.stdout)).toEqual([]);
      expect(objectsBefore).toBeGreaterThan(0);
      expect(purged.stdout).toMatch(
        new RegExp(
          `^Purged run ${runId} \\(already out of the catalog\\): \\d+ journal items and ${objectsBefore} output objects deleted\\.\n$`,
        ),
      );
      expect(await aws.db.journal.getRun(runId)).toBeUndefined();
      expect([...aws.objects.keys()].filter((k) => k.includes(`/runs/${runId}/`))).toEqual([]);
      const removals = aws.eventBridge
        .commandCalls(PutEventsCommand)
        .flatMap((c) => c.args[0].input.Entries ?? [])
        .filter((e) => e.DetailType === 'dev.fleetbench.run.removed');
      expect(removals.map((e) => [e.Source, JSON.parse(e.Detail ?? '{}').data])).toEqual([
        ['dev.fleetbench', { runId, purged: false, by: expect.stringMatching(/^cli:/), state: 'FINISHED' }],
        ['dev.fleetbench', { runId, purged: true, by: expect.stringMatching(/^cli:/) }],
      ]);
    });

    it('refuses a run the stack is running, with the command to stop it, and removes nothing', async () => {
      const runId = await startHeld('a1.repetition.cpu.1');

      const r = await cli(['rm', runId, '--purge', '--target', 'aws']);

      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `error: run ${runId} is still RUNNING_WORKLOADS: only a run that has ended can be removed (stop it first with \`fleetbench stop ${runId} --target aws\`, then remove it)\n`,
      );
      expect((await aws.db.catalog.get(runId))?.state).toBe('RUNNING_WORKLOADS');
    });

    it('with --older-than purges the runs that ended longer ago and leaves a run the stack is running', async () => {
      // Prepare
      const ran = await cli(['run', await writePlan(), '--target', 'aws', '--json']);
      const { runId: ended } = JSON.parse(ran.stdout) as { runId: string };
      // The second run's steps have the first run's command ids: wait for its own.
      aws.stepsSent.clear();
      const running = await startHeld('a1.repetition.cpu.1');

      // Act
      const none = await cli(['rm', '--older-than', '1d', '--purge', '--target', 'aws']);
      // The CLI takes longer than a millisecond to start: by then the first run ended longer ago than that.
      const old = await cli(['rm', '--older-than', '1ms', '--purge', '--target', 'aws', '--json']);

      // Assess
      expect(none.stdout).toBe('No run ended more than 1d ago; nothing removed.\n');
      expect(old.code).toBe(0);
      expect(JSON.parse(old.stdout)).toEqual([
        expect.objectContaining({ runId: ended, state: 'FINISHED', purged: true }),
      ]);
      expect(await aws.db.catalog.get(ended)).toBeUndefined();
      expect(await aws.db.journal.getRun(ended)).toBeUndefined();
      expect((await aws.db.catalog.get(running))?.state).toBe('RUNNING_WORKLOADS');
    });
  });

  describe('Command: stop', () => {
    it('puts Stop Requested on the bus; the stack cancels, tears down, and --wait sees the run end ABORTED', async () => {
      const runId = await startHeld('a1.repetition.cpu.1');

      const r = await cli(['stop', runId, '--target', 'aws', '--reason', 'wrong type', '--wait']);

      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `Stop requested for run ${runId}: the stack cancels the workloads and runs the teardowns.`,
      );
      expect(r.stdout).toMatch(new RegExp(`Run ${runId} ended ABORTED: stopped by cli:\\S+\\n$`));
      const stops = aws.eventBridge
        .commandCalls(PutEventsCommand)
        .flatMap((c) => c.args[0].input.Entries ?? [])
        .filter((e) => e.DetailType === 'Stop Requested');
      expect(stops).toHaveLength(1);
      expect(stops[0]).toMatchObject({ EventBusName: 'fleetbench', Source: 'dev.fleetbench.cli' });
      expect(JSON.parse(stops[0]?.Detail ?? '{}')).toEqual({
        runId,
        requestedBy: expect.stringMatching(/^cli:/),
        reason: 'wrong type',
        force: false,
      });
      expect(aws.sent.map((c) => c.commandId)).toContain('a1.globalTeardown');
      expect(aws.sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    });

    it('says so when a stop was already requested, and sends nothing', async () => {
      const runId = await startHeld('a1.repetition.cpu.1');
      await aws.db.catalog.requestStop(runId, {
        requestedAt: '2026-01-01T00:00:00.000Z',
        requestedBy: 'cli:alice',
        reason: 'first',
        force: false,
      });

      const r = await cli(['stop', runId, '--target', 'aws']);

      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        `A stop was already requested for run ${runId} at 2026-01-01T00:00:00.000Z by cli:alice; nothing changed.\n`,
      );
      expect(
        aws.eventBridge
          .commandCalls(PutEventsCommand)
          .flatMap((c) => c.args[0].input.Entries ?? [])
          .filter((e) => e.DetailType === 'Stop Requested'),
      ).toEqual([]);
    });

    it('with --force also stops the execution; the run ends ABORTED without teardown', async () => {
      const runId = await startHeld('a1.repetition.cpu.1');

      const r = await cli(['stop', runId, '--target', 'aws', '--force', '--wait']);

      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Stop requested for run ${runId} (force)`);
      expect(r.stdout).toMatch(/ended ABORTED: force-stopped by cli:\S+; teardown skipped\n$/);
      const entry = await aws.db.catalog.get(runId);
      expect(aws.sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({
        executionArn: entry?.executionArn,
        error: 'Fleetbench.ForceStopped',
      });
      expect(aws.sent.map((c) => c.commandId)).not.toContain('a1.globalTeardown');
    });

    it.each([
      [['stop', 'nope-20250101-000000-aaaa'], 2, /run nope-20250101-000000-aaaa not found/],
      [['stop', '<finished>'], 2, /already ended FINISHED: nothing to stop/],
      [['stop', '<finished>', '--force'], 0, /already ended FINISHED; nothing of it is left running/],
    ])('%j: exit %i', async (args, code, message) => {
      const done = await cli(['run', await writePlan(), '--target', 'aws', '--json']);
      const runId = (JSON.parse(done.stdout) as RunView).runId;

      const r = await cli([...args.map((a) => a.replace('<finished>', runId)), '--target', 'aws']);

      expect(r.code).toBe(code);
      expect(`${r.stdout}${r.stderr}`).toMatch(message);
    });
  });

  describe('Command: events', () => {
    it("prints the run's CloudEvents from the log group, oldest first; --json gives one CloudEvent per line", async () => {
      const done = await cli(['run', await writePlan(), '--target', 'aws', '--json']);
      const runId = (JSON.parse(done.stdout) as RunView).runId;

      const text = await cli(['events', runId, '--target', 'aws']);
      const json = await cli(['events', runId, '--target', 'aws', '--json']);

      expect(text.code).toBe(0);
      const lines = text.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/ run\.started /);
      // In the order of their times: run.finished is stamped just before the final state change is written.
      expect(
        lines
          .slice(-2)
          .map((l) => l.split(/\s+/)[1])
          .sort(),
      ).toEqual(['run.finished', 'run.state.changed']);
      expect(text.stdout).toContain(
        'run.state.changed   RUNNING_GLOBAL_TEARDOWN -> FINISHED (all steps ran)',
      );
      const events = json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as CloudEvent);
      expect(events).toHaveLength(lines.length);
      expect(events.filter((e) => e.type === 'dev.fleetbench.task.completed')).toHaveLength(6);
      for (const e of events) expect(e.data.runId).toBe(runId);
      expect(aws.logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toMatchObject({
        logGroupName: EVENT_LOG_GROUP,
        filterPattern: `{ $.detail.data.runId = "${runId}" }`,
      });
    });

    it('follows a running run until it has finished, printing each event once', async () => {
      const runId = await startHeld('a1.repetition.cpu.2');
      const following = cli(['events', runId, '--target', 'aws', '--follow', '--json']);
      await aws.until(
        async () =>
          (await aws.db.journal.listTasks(runId)).some((t) => t.rep === 1 && t.status === 'COMPLETED'),
        'rep 1',
      );
      aws.behaviour = answer;
      aws.answerHeld('a1.repetition.cpu.2');

      const r = await following;

      expect(r.code).toBe(0);
      const events = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as CloudEvent);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      expect(events[0]?.type).toBe('dev.fleetbench.run.started');
      expect(events.filter((e) => e.type === 'dev.fleetbench.task.completed')).toHaveLength(6);
      expect(events.map((e) => e.type)).toContain('dev.fleetbench.run.finished');
    });
  });

  describe('Command: resume', () => {
    it('starts an execution that resumes a stopped run and follows it to FINISHED', async () => {
      const runId = await startHeld('a1.repetition.cpu.2');
      const stopped = await cli(['stop', runId, '--target', 'aws', '--wait']);
      expect(stopped.stderr).toBe('');
      expect(stopped.code).toBe(0);
      aws.behaviour = answer;

      const r = await cli(['resume', runId, '--target', 'aws']);

      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Resuming run ${runId}`);
      expect(r.stdout).toContain(`Run ${runId} FINISHED: 6 completed`);
      const resumed = aws.sfn.commandCalls(StartExecutionCommand)[1]?.args[0].input;
      expect(JSON.parse(resumed?.input ?? '{}')).toEqual({ resume: { runId, onlyFailed: false } });
      expect(resumed?.name).toMatch(new RegExp(`^${runId}-a2-`));
    });
  });

  describe('Connecting', () => {
    it.each([
      [['runs', '--stack', 'Other'], {}, /stack Other is not deployed in this region/],
      [['runs'], { AWS_REGION: '' }, /no AWS region set/],
    ])('%j fails in one line naming what to fix', async (args, env, message) => {
      const r = await cli([...args, '--target', 'aws'], env);

      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('takes the target from FLEETBENCH_TARGET', async () => {
      const r = await cli(['runs'], { FLEETBENCH_TARGET: 'aws' });

      expect(r.code).toBe(0);
      expect(r.stdout).toContain('No runs yet');
      expect(aws.cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    });
  });
});
