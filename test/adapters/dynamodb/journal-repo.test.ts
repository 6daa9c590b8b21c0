import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPartitionKey, taskSortKey } from '../../../lib/adapters/dynamodb/journal-keys.js';
import { DynamoJournalRepo } from '../../../lib/adapters/dynamodb/journal-repo.js';
import { ConflictError, IllegalTransitionError } from '../../../lib/core/errors.js';
import type { Plan } from '../../../lib/core/plan.js';
import type {
  CommandRecord,
  CommandSpec,
  CommandSummary,
  RunMeta,
  TaskRecord,
} from '../../../lib/core/run.js';
import { startTestDynalite, type TestDynalite } from '../../support/dynalite.js';

const plan: Plan = {
  name: 'journal-test',
  hosts: { local: 2 },
  requireAllHosts: false,
  repetitions: 2,
  strategy: 'lockstep',
  failurePolicy: { failFast: false, maxFailedPercent: 100 },
  timeouts: { task: 600, stop: 30 },
  env: {},
  setup: [],
  teardown: [],
  workloads: [{ name: 'cpu', plugin: 'shell', options: { command: 'true' }, setup: [], teardown: [] }],
};

const newRunId = (): string => `run-${randomUUID()}`;

function meta(runId: string, attempt = 1): RunMeta {
  return {
    runId,
    plan,
    planHash: 'hash',
    target: 'local',
    hosts: [{ id: 'w1', name: 'host-1' }],
    excludedHosts: [],
    attempt,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

function task(workload: string, rep: number, host: string, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    key: `${host}::${workload}::${rep}`,
    host,
    workload,
    rep,
    status: 'PENDING',
    attempts: 0,
    seed: `seed-${host}-${rep}`,
    ...extra,
  };
}

function tasksFor(workloads: readonly string[], reps: number, hosts: number): TaskRecord[] {
  return workloads.flatMap((w) =>
    Array.from({ length: reps }, (_, r) =>
      Array.from({ length: hosts }, (_, h) => task(w, r + 1, `host-${String(h + 1).padStart(3, '0')}`)),
    ).flat(),
  );
}

/** A workload setup: its outcomes are `CMDO#` items (a repetition's are its tasks, tested below). */
/**
 * The next request of `type` is executed, then sent again, and its caller gets the second answer: what a
 * request whose answer was cut looks like after the SDK or the local failover sends it again.
 */
function resendOnce(db: TestDynalite, type: typeof PutCommand | typeof UpdateCommand): void {
  const send = db.doc.send.bind(db.doc);
  let done = false;
  vi.spyOn(db.doc, 'send').mockImplementation((async (request: unknown) => {
    if (done || !(request instanceof type)) return send(request as never);
    done = true;
    await send(request as never).catch(() => undefined);
    return send(request as never);
  }) as never);
}

function command(runId: string, commandId: string, hostCount = 2): CommandSpec {
  return {
    runId,
    commandId,
    phase: 'setup',
    workload: 'cpu',
    hosts: Array.from({ length: hostCount }, (_, i) => ({ id: `w${i + 1}`, name: `host-${i + 1}` })),
    taskToken: 'token',
    cancellable: true,
    sentAt: '2026-01-01T00:00:01.000Z',
  };
}

/** What a new command reads back as: SENT, nobody answered yet. */
function sent(spec: CommandSpec): CommandRecord {
  return {
    ...spec,
    status: 'SENT',
    hostCount: spec.hosts.length,
    answered: 0,
    providerIds: [],
    outcomes: {},
  };
}

function summaryOf(record: CommandRecord): CommandSummary {
  const { hosts: _hosts, outcomes: _outcomes, ...summary } = record;
  return summary;
}

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});

afterAll(async () => {
  await db.stop();
});

describe('Class: DynamoJournalRepo', () => {
  describe('Method: createRun / getRun', () => {
    it('stores META and reads it back without the key attributes', async () => {
      // Prepare
      const runId = newRunId();

      // Act
      await db.journal.createRun(meta(runId));

      // Assess
      expect(await db.journal.getRun(runId)).toStrictEqual(meta(runId));
    });

    it('rejects a second run with the same id and keeps the first', async () => {
      const runId = newRunId();
      await db.journal.createRun(meta(runId));

      await expect(db.journal.createRun({ ...meta(runId), planHash: 'other' })).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await db.journal.getRun(runId))?.planHash).toBe('hash');
    });

    it('returns undefined for an unknown run', async () => {
      expect(await db.journal.getRun(newRunId())).toBeUndefined();
    });

    it('serves META of a named attempt from its cache, and reads a new attempt from the table', async () => {
      // Prepare
      const runId = newRunId();
      await db.journal.createRun(meta(runId));
      await db.journal.getRun(runId);
      const send = vi.spyOn(db.doc, 'send');

      // Act
      const cached = await db.journal.getRun(runId, { attempt: 1 });
      await db.journal.updateRunForResume(meta(runId, 2));
      const resumed = await db.journal.getRun(runId, { attempt: 2 });

      // Assess: one request for the resume, one read of the new attempt, none for the cached one
      expect(cached?.attempt).toBe(1);
      expect(resumed?.attempt).toBe(2);
      expect(send).toHaveBeenCalledTimes(2);
      send.mockRestore();
    });
  });

  describe('Method: updateRunForResume', () => {
    it('replaces META only when the stored attempt is the previous one', async () => {
      const runId = newRunId();
      await db.journal.createRun(meta(runId));

      await db.journal.updateRunForResume({ ...meta(runId, 2), onlyFailed: true });

      expect(await db.journal.getRun(runId)).toStrictEqual({ ...meta(runId, 2), onlyFailed: true });
      await expect(db.journal.updateRunForResume(meta(runId, 2))).rejects.toBeInstanceOf(ConflictError);
      await db.journal.updateRunForResume(meta(runId, 3));
      expect((await db.journal.getRun(runId))?.attempt).toBe(3);
    });

    it('does not create a run that does not exist', async () => {
      const runId = newRunId();
      await expect(db.journal.updateRunForResume(meta(runId, 2))).rejects.toBeInstanceOf(ConflictError);
      expect(await db.journal.getRun(runId)).toBeUndefined();
    });
  });

  describe('Method: putTasks / listTasks / getTask', () => {
    it('lists tasks in key order, filtered by workload and repetition', async () => {
      // Prepare
      const runId = newRunId();
      const tasks = tasksFor(['mem', 'cpu'], 11, 2);

      // Act
      await db.journal.putTasks(runId, [...tasks].reverse());

      // Assess
      const sorted = [...tasks].sort((a, b) => taskSortKey(a).localeCompare(taskSortKey(b)));
      expect(await db.journal.listTasks(runId)).toStrictEqual(sorted);
      expect(await db.journal.listTasks(runId, { workload: 'cpu' })).toStrictEqual(
        sorted.filter((t) => t.workload === 'cpu'),
      );
      // rep 1 must not match rep 10 or 11: the zero-padded rep keeps the prefixes apart.
      expect(await db.journal.listTasks(runId, { workload: 'cpu', rep: 1 })).toStrictEqual(
        sorted.filter((t) => t.workload === 'cpu' && t.rep === 1),
      );
      expect(await db.journal.listTasks(runId, { rep: 10 })).toStrictEqual(
        sorted.filter((t) => t.rep === 10),
      );
      expect(await db.journal.listTasks(runId, { workload: 'cp' })).toStrictEqual([]);
    });

    it('reads one task, or undefined', async () => {
      const runId = newRunId();
      const t = task('cpu', 1, 'host-1');
      await db.journal.putTasks(runId, [t]);

      expect(await db.journal.getTask(runId, t)).toStrictEqual(t);
      expect(await db.journal.getTask(runId, { ...t, rep: 2 })).toBeUndefined();
    });

    it('reads every page of a run larger than one 1 MB query page', async () => {
      // Prepare: 1,200 tasks with ~1 KB of metrics each
      const runId = newRunId();
      const metrics = Array.from({ length: 10 }, (_, i) => ({
        name: `metric_${i}_${'x'.repeat(70)}`,
        value: i * 1.5,
        unit: 'ops/s',
      }));
      const tasks = tasksFor(['cpu', 'disk', 'mem'], 4, 100).map((t) => ({ ...t, metrics }));
      await db.journal.putTasks(runId, tasks);
      const send = vi.spyOn(db.doc, 'send');

      // Act
      const listed = await db.journal.listTasks(runId);

      // Assess
      expect(listed).toHaveLength(1_200);
      expect(listed[1_199]).toStrictEqual(tasks.find((t) => t.key === 'host-100::mem::4'));
      expect(send.mock.calls.filter(([c]) => c instanceof QueryCommand).length).toBeGreaterThan(1);
      send.mockRestore();
    });
  });

  describe('Method: markRunning', () => {
    it('marks 60 tasks RUNNING in three batches and clears the previous result', async () => {
      // Prepare
      const runId = newRunId();
      const failed = {
        status: 'FAILED',
        attempts: 1,
        startedAt: 'old',
        finishedAt: 'old',
        durationMs: 5,
        exitCode: 1,
      };
      const tasks = tasksFor(['cpu'], 1, 60).map((t) =>
        task(t.workload, t.rep, t.host, {
          ...failed,
          status: 'FAILED',
          error: 'boom',
          errorType: 'Exit',
          errorContext: 'ctx',
          metrics: [{ name: 'm', value: 1, unit: 'u' }],
          outputRef: '/out',
          commandId: 'old-cmd',
        }),
      );
      await db.journal.putTasks(runId, tasks);
      const send = vi.spyOn(db.doc, 'send');

      // Act
      await db.journal.markRunning(runId, tasks, 'cmd-2', '2026-01-01T00:01:00.000Z');

      // Assess
      expect(send).toHaveBeenCalledTimes(3);
      send.mockRestore();
      const listed = await db.journal.listTasks(runId);
      expect(listed).toHaveLength(60);
      for (const t of listed) {
        expect(t).toStrictEqual({
          key: t.key,
          host: t.host,
          workload: 'cpu',
          rep: 1,
          seed: `seed-${t.host}-1`,
          status: 'RUNNING',
          attempts: 2,
          startedAt: '2026-01-01T00:01:00.000Z',
          commandId: 'cmd-2',
          previousStatus: 'FAILED',
        });
      }
    });

    it('keeps the warm-up mark of the tasks it starts, through their result', async () => {
      // Prepare
      const runId = newRunId();
      const warm = { ...task('cpu', 1, 'host-1'), warmup: true as const };
      const measured = task('cpu', 2, 'host-1');
      await db.journal.putTasks(runId, [warm, measured]);

      // Act
      await db.journal.markRunning(runId, [warm, measured], 'cmd-1', '2026-01-01T00:01:00.000Z');
      await db.journal.recordTaskResult(runId, {
        workload: 'cpu',
        rep: 1,
        host: 'host-1',
        status: 'COMPLETED',
        commandId: 'cmd-1',
      });

      // Assess
      const [first, second] = await db.journal.listTasks(runId);
      expect(first).toMatchObject({ rep: 1, warmup: true, status: 'COMPLETED' });
      expect(second).toMatchObject({ rep: 2, status: 'RUNNING' });
      expect(second).not.toHaveProperty('warmup');
    });

    it('refuses to re-run a task the caller knows is COMPLETED, writing nothing', async () => {
      const runId = newRunId();
      const done = task('cpu', 1, 'host-1', { status: 'COMPLETED', attempts: 1 });
      const pending = task('cpu', 1, 'host-2');
      await db.journal.putTasks(runId, [done, pending]);

      await expect(db.journal.markRunning(runId, [pending, done], 'cmd', 'now')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
      expect(await db.journal.listTasks(runId)).toStrictEqual([done, pending]);
    });
  });

  describe('Method: recordTaskResult', () => {
    const result = {
      workload: 'cpu',
      rep: 1,
      host: 'host-1',
      status: 'COMPLETED',
      commandId: 'cmd-1',
      finishedAt: '2026-01-01T00:02:00.000Z',
      durationMs: 60_000,
      exitCode: 0,
      metrics: [{ name: 'ops', value: 42, unit: 'ops/s' }],
      outputRef: '/runs/out.txt',
    } as const;

    async function runningTask(): Promise<{ runId: string; t: TaskRecord }> {
      const runId = newRunId();
      const t = task('cpu', 1, 'host-1');
      await db.journal.putTasks(runId, [t]);
      await db.journal.markRunning(runId, [t], 'cmd-1', '2026-01-01T00:01:00.000Z');
      return { runId, t };
    }

    it('records the outcome of a task RUNNING under the command', async () => {
      const { runId, t } = await runningTask();

      const stored = await db.journal.recordTaskResult(runId, result);

      const expected = {
        ...t,
        status: 'COMPLETED',
        attempts: 1,
        startedAt: '2026-01-01T00:01:00.000Z',
        commandId: 'cmd-1',
        previousStatus: 'PENDING',
        finishedAt: result.finishedAt,
        durationMs: 60_000,
        exitCode: 0,
        metrics: result.metrics,
        outputRef: result.outputRef,
      };
      expect(stored).toStrictEqual(expected);
      expect(await db.journal.getTask(runId, t)).toStrictEqual(expected);
    });

    it('returns nothing for a duplicate event and leaves the task unchanged', async () => {
      const { runId, t } = await runningTask();
      await db.journal.recordTaskResult(runId, result);
      const before = await db.journal.getTask(runId, t);

      const applied = await db.journal.recordTaskResult(runId, { ...result, status: 'FAILED', exitCode: 9 });

      expect(applied).toBeUndefined();
      expect(await db.journal.getTask(runId, t)).toStrictEqual(before);
    });

    it('ignores the result of another command', async () => {
      const { runId, t } = await runningTask();
      const before = await db.journal.getTask(runId, t);

      expect(await db.journal.recordTaskResult(runId, { ...result, commandId: 'cmd-0' })).toBeUndefined();
      expect(await db.journal.getTask(runId, t)).toStrictEqual(before);
    });

    it('does not create a task that does not exist', async () => {
      const runId = newRunId();
      expect(await db.journal.recordTaskResult(runId, result)).toBeUndefined();
      expect(await db.journal.getTask(runId, result)).toBeUndefined();
    });

    it('rejects a result status a RUNNING task cannot move to', async () => {
      const { runId } = await runningTask();
      await expect(
        db.journal.recordTaskResult(runId, { ...result, status: 'PENDING' }),
      ).rejects.toBeInstanceOf(IllegalTransitionError);
    });
  });

  describe('Method: setTasksStatus', () => {
    it('moves every task but the COMPLETED ones and counts what applied', async () => {
      // Prepare
      const runId = newRunId();
      const tasks = [
        task('cpu', 1, 'host-1', { status: 'COMPLETED', attempts: 1 }),
        task('cpu', 1, 'host-2', { status: 'RUNNING', attempts: 1, commandId: 'c' }),
        task('cpu', 1, 'host-3'),
        task('cpu', 1, 'host-4', { status: 'FAILED', attempts: 1 }),
      ];
      await db.journal.putTasks(runId, tasks);

      // Act
      const applied = await db.journal.setTasksStatus(runId, tasks, 'CANCELLED', 'stop requested');

      // Assess
      expect(applied).toBe(3);
      const listed = await db.journal.listTasks(runId);
      expect(listed.map((t) => [t.status, t.error])).toStrictEqual([
        ['COMPLETED', undefined],
        ['CANCELLED', 'stop requested'],
        ['CANCELLED', 'stop requested'],
        ['CANCELLED', 'stop requested'],
      ]);
    });

    it('applies only to the statuses in onlyIf', async () => {
      const runId = newRunId();
      const tasks = [
        task('cpu', 1, 'host-1', { status: 'RUNNING', attempts: 1 }),
        task('cpu', 1, 'host-2'),
        task('cpu', 1, 'host-3', { status: 'COMPLETED', attempts: 1 }),
      ];
      await db.journal.putTasks(runId, tasks);

      const applied = await db.journal.setTasksStatus(runId, tasks, 'FAILED', 'host lost', {
        onlyIf: ['RUNNING', 'COMPLETED'],
      });

      expect(applied).toBe(1);
      expect((await db.journal.listTasks(runId)).map((t) => t.status)).toStrictEqual([
        'FAILED',
        'PENDING',
        'COMPLETED',
      ]);
      expect(await db.journal.setTasksStatus(runId, tasks, 'SKIPPED', 'nothing', { onlyIf: [] })).toBe(0);
    });

    it('does not create tasks that do not exist', async () => {
      const runId = newRunId();
      const applied = await db.journal.setTasksStatus(
        runId,
        [task('cpu', 1, 'ghost')],
        'SKIPPED',
        'unreachable',
      );

      expect(applied).toBe(0);
      expect(await db.journal.listTasks(runId)).toStrictEqual([]);
    });

    it('never regresses a COMPLETED task, whatever the order of events', async () => {
      const runId = newRunId();
      const t = task('cpu', 1, 'host-1');
      await db.journal.putTasks(runId, [t]);
      await db.journal.markRunning(runId, [t], 'cmd-1', 'start');
      await db.journal.recordTaskResult(runId, { ...t, status: 'COMPLETED', commandId: 'cmd-1' });

      await db.journal.setTasksStatus(runId, [t], 'CANCELLED', 'late stop');
      await db.journal.setTasksStatus(runId, [t], 'PENDING', 'reset', { onlyIf: ['COMPLETED'] });
      await db.journal.recordTaskResult(runId, { ...t, status: 'FAILED', commandId: 'cmd-1' });

      expect((await db.journal.getTask(runId, t))?.status).toBe('COMPLETED');
    });
  });

  describe('Commands', () => {
    it('creates a command once, nobody answered, and lists the run commands without their hosts', async () => {
      const runId = newRunId();

      await db.journal.putCommand(command(runId, 'cmd-1'));
      await db.journal.putCommand(command(runId, 'cmd-2', 120));

      expect(await db.journal.getCommand(runId, 'cmd-1')).toStrictEqual(sent(command(runId, 'cmd-1')));
      expect(await db.journal.getCommand(runId, 'cmd-2')).toStrictEqual(sent(command(runId, 'cmd-2', 120)));
      await expect(
        db.journal.putCommand({ ...command(runId, 'cmd-1'), taskToken: 'another invocation' }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await db.journal.listCommands(runId)).toStrictEqual([
        summaryOf(sent(command(runId, 'cmd-1'))),
        summaryOf(sent(command(runId, 'cmd-2', 120))),
      ]);
      expect(await db.journal.getCommand(runId, 'cmd-3')).toBeUndefined();
    });

    it('keeps a large fleet out of the command summary item (hosts in parts of at most 50)', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1', 120));

      const items = await db.doc.send(
        new QueryCommand({
          TableName: db.tableNames.journal,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `RUN#${runId}` },
        }),
      );

      expect(items.Items?.map((i) => [i.sk, (i.hosts as unknown[] | undefined)?.length])).toStrictEqual([
        ['CMD#cmd-1', undefined],
        ['CMDH#cmd-1#0000', 50],
        ['CMDH#cmd-1#0001', 50],
        ['CMDH#cmd-1#0002', 20],
      ]);
    });

    it('reads a command spec back in another process as it was written', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1', 60));

      const other = new DynamoJournalRepo({ client: db.doc, tableName: db.tableNames.journal });

      expect(await other.getCommandSpec(runId, 'cmd-1')).toStrictEqual(command(runId, 'cmd-1', 60));
      expect(await other.getCommandSpec(runId, 'cmd-9')).toBeUndefined();
    });

    it('sets provider ids on an existing command only', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1'));

      await db.journal.setCommandProviderIds(runId, 'cmd-1', ['ssm-1', 'ssm-2']);

      expect((await db.journal.getCommand(runId, 'cmd-1'))?.providerIds).toStrictEqual(['ssm-1', 'ssm-2']);
      await expect(db.journal.setCommandProviderIds(runId, 'cmd-9', ['x'])).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await db.journal.getCommand(runId, 'cmd-9')).toBeUndefined();
    });

    it('finds the command an SSM command id belongs to, and nothing for an id it never recorded', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1'));

      await db.journal.setCommandProviderIds(runId, 'cmd-1', [`${runId}-ssm-1`, `${runId}-ssm-2`]);

      expect(await db.journal.findCommandByProviderId(`${runId}-ssm-2`)).toStrictEqual({
        runId,
        commandId: 'cmd-1',
      });
      expect(await db.journal.findCommandByProviderId(`${runId}-other`)).toBeUndefined();
    });

    it('gives a command still SENT a retried step’s token, and refuses once it ended', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1'));

      expect(await db.journal.replaceCommandToken(runId, 'cmd-1', 'retry-token')).toBe(true);
      expect((await db.journal.getCommand(runId, 'cmd-1'))?.taskToken).toBe('retry-token');
      await db.journal.closeCommand(runId, 'cmd-1', new Date().toISOString(), {
        failedHosts: [],
        silentHosts: [],
      });
      expect(await db.journal.replaceCommandToken(runId, 'cmd-1', 'late-token')).toBe(false);
    });

    it('records a host outcome once and counts the hosts that answered', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1'));

      const first = await db.journal.recordHostOutcome(runId, 'cmd-1', 'w1', {
        status: 'Success',
        exitCode: 0,
      });
      const second = await db.journal.recordHostOutcome(runId, 'cmd-1', 'w1', {
        status: 'Failed',
        exitCode: 1,
      });
      const other = await db.journal.recordHostOutcome(runId, 'cmd-1', 'w2', {
        status: 'Failed',
        error: 'gone',
      });

      expect(first).toStrictEqual({ answered: 1, hostCount: 2 });
      expect(second).toBeUndefined();
      expect(other).toStrictEqual({ answered: 2, hostCount: 2 });
      expect((await db.journal.getCommand(runId, 'cmd-1'))?.outcomes).toStrictEqual({
        w1: { status: 'Success', exitCode: 0 },
        w2: { status: 'Failed', error: 'gone' },
      });
    });

    it('recounts outcomes recorded but never counted, and never lowers the count', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1', 3));
      await db.journal.recordHostOutcome(runId, 'cmd-1', 'w1', { status: 'Success' });
      // A writer that died after recording w2's outcome and before counting it.
      await db.doc.send(
        new PutCommand({
          TableName: db.tableNames.journal,
          Item: { pk: `RUN#${runId}`, sk: 'CMDO#cmd-1#w2', hostId: 'w2', outcome: { status: 'Success' } },
        }),
      );

      expect(await db.journal.recountHostOutcomes(runId, 'cmd-1')).toStrictEqual({
        answered: 2,
        hostCount: 3,
      });
      expect(await db.journal.recountHostOutcomes(runId, 'cmd-1')).toStrictEqual({
        answered: 2,
        hostCount: 3,
      });
      expect(await db.journal.recountHostOutcomes(runId, 'cmd-9')).toBeUndefined();
    });

    it("reads a repetition's outcomes from its tasks, and counts its answers", async () => {
      const runId = newRunId();
      const spec: CommandSpec = { ...command(runId, 'cmd-1'), phase: 'repetition', rep: 1 };
      const tasks = [task('cpu', 1, 'host-1'), task('cpu', 1, 'host-2')];
      await db.journal.putTasks(runId, tasks);
      await db.journal.putCommand(spec);
      await db.journal.markRunning(runId, tasks, 'cmd-1', '2026-01-01T00:01:00.000Z');

      await db.journal.recordTaskResult(runId, {
        workload: 'cpu',
        rep: 1,
        host: 'host-1',
        status: 'FAILED',
        errorType: 'TIMEOUT',
        error: 'timed out after 5s',
        commandId: 'cmd-1',
      });
      const counted = await db.journal.countAnswer(runId, 'cmd-1');

      expect(counted).toStrictEqual({ answered: 1, hostCount: 2 });
      expect((await db.journal.getCommand(runId, 'cmd-1'))?.outcomes).toStrictEqual({
        w1: { status: 'TimedOut', error: 'timed out after 5s', task: { from: 'PENDING', to: 'FAILED' } },
      });
      expect(await db.journal.recountHostOutcomes(runId, 'cmd-1')).toStrictEqual({
        answered: 1,
        hostCount: 2,
      });
      await expect(db.journal.countAnswer(runId, 'cmd-9')).rejects.toBeInstanceOf(ConflictError);
    });

    it('closes a command once, with the hosts that failed and the hosts that never answered', async () => {
      const runId = newRunId();
      await db.journal.putCommand(command(runId, 'cmd-1'));
      const found = { failedHosts: ['host-1'], silentHosts: ['host-2'] };

      expect(await db.journal.closeCommand(runId, 'cmd-1', '2026-01-01T00:05:00.000Z', found)).toBe(true);
      expect(await db.journal.closeCommand(runId, 'cmd-1', '2026-01-01T00:06:00.000Z', found)).toBe(false);
      expect(await db.journal.getCommand(runId, 'cmd-1')).toStrictEqual({
        ...sent(command(runId, 'cmd-1')),
        status: 'DONE',
        doneAt: '2026-01-01T00:05:00.000Z',
        ...found,
      });
      expect(await db.journal.closeCommand(runId, 'cmd-9', 'now', found)).toBe(false);
    });
  });

  describe('A conditional write whose answer was lost and that was sent again', () => {
    it.each([
      ['putCommand', PutCommand],
      ['closeCommand', UpdateCommand],
    ] as const)('%s: its own earlier write is taken for success, not for a conflict', async (_, Sent) => {
      // Prepare: the first matching request lands, but its caller only sees the answer to a second send
      const runId = newRunId();
      if (Sent === UpdateCommand) await db.journal.putCommand(command(runId, 'cmd-1'));
      const found = { failedHosts: [], silentHosts: [] };
      resendOnce(db, Sent);

      // Act
      const answer =
        Sent === PutCommand
          ? await db.journal.putCommand(command(runId, 'cmd-1'))
          : await db.journal.closeCommand(runId, 'cmd-1', '2026-01-01T00:05:00.000Z', found);

      // Assess: the command is whole (its hosts written) and, closed, reports the close as done
      expect(answer).toBe(Sent === PutCommand ? undefined : true);
      expect(await db.journal.getCommand(runId, 'cmd-1')).toMatchObject({
        hosts: command(runId, 'cmd-1').hosts,
        status: Sent === PutCommand ? 'SENT' : 'DONE',
      });
      vi.restoreAllMocks();
    });
  });

  describe('Method: appendState / listStates', () => {
    it('keeps the audit trail in order and refuses to overwrite a record', async () => {
      const runId = newRunId();
      const states = [
        { at: '2026-01-01T00:00:00.000Z', seq: 1, from: null, to: 'INIT', reason: 'run created' },
        {
          at: '2026-01-01T00:00:01.000Z',
          seq: 2,
          from: 'INIT',
          to: 'RUNNING_GLOBAL_SETUP',
          reason: 'started',
        },
        { at: '2026-01-01T00:00:01.000Z', seq: 10, from: 'RUNNING_GLOBAL_SETUP', to: 'FAILED', reason: 'x' },
      ] as const;

      for (const s of [...states].reverse()) await db.journal.appendState(runId, s);

      expect(await db.journal.listStates(runId)).toStrictEqual(states);
      await expect(db.journal.appendState(runId, states[0])).rejects.toBeInstanceOf(ConflictError);
    });
  });

  describe('Layout', () => {
    it('keeps records of one run in the RUN#<runId> partition', () => {
      expect(runPartitionKey('r1')).toBe('RUN#r1');
      expect(taskSortKey({ workload: 'cpu', rep: 7, host: 'h1' })).toBe('TASK#cpu#0007#h1');
    });
  });
});
