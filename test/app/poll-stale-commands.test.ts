import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { finalizeRun } from '../../lib/app/finalize-run.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { pollStaleCommands, STALE_COMMAND_MS } from '../../lib/app/poll-stale-commands.js';
import { runCommand } from '../../lib/app/run-command.js';
import { WorkflowErrorName } from '../../lib/core/errors.js';
import type { CommandRunner, Deps } from '../../lib/core/ports.js';
import type { CommandRecord, InvocationResult } from '../../lib/core/run.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { HOSTS, plannedRun } from '../support/planned-run.js';

// The poll reads every open run of the catalog: each test gets a catalog of its own.
let db: TestDynalite;

beforeEach(async () => {
  db = await startTestDynalite();
});
afterEach(async () => db.stop());

/** The time plannedRun's commands are sent at (dynaliteDeps' clock). */
const SENT = Date.parse('2026-11-23T10:00:00.000Z');

/** Every host of the command succeeded, as the runner reports it when asked. */
function allSucceeded(command: CommandRecord): InvocationResult[] {
  return HOSTS.map((host) => ({
    runId: command.runId,
    commandId: command.commandId,
    hostId: host,
    status: 'Success' as const,
    exitCode: 0,
  }));
}

/** The deps, `ms` after the commands were sent, with a runner that answers polls with `poll`. */
function pollingAt(deps: Deps, ms: number, poll: NonNullable<CommandRunner['poll']>): Deps {
  return {
    ...deps,
    clock: { ...deps.clock, now: () => new Date(SENT + ms) },
    runner: { ...deps.runner, poll },
  };
}

describe('Use case: pollStaleCommands', () => {
  it('polls a command whose status events were lost and applies its results', async () => {
    // Prepare: a repetition sent long ago, whose results only the poll can see
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const later = new Date(Date.parse('2026-11-23T10:00:00.000Z') + STALE_COMMAND_MS);
    const polling = {
      ...deps,
      clock: { ...deps.clock, now: () => later },
      runner: {
        ...deps.runner,
        poll: async (command: { commandId: string }) =>
          HOSTS.map((host) => ({
            runId,
            commandId: command.commandId,
            hostId: host,
            status: 'Success' as const,
            exitCode: 0,
          })),
      },
    };

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(out.recoveredResults).toBe(3);
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => t.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect((await deps.journal.getCommand(runId, 'a1.repetition.w.1'))?.status).toBe('DONE');
  });

  it('leaves a command sent less than the threshold ago alone', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    let polled = 0;

    await pollStaleCommands(
      {
        ...deps,
        runner: {
          ...deps.runner,
          poll: async () => {
            polled += 1;
            return [];
          },
        },
      },
      { olderThanMs: STALE_COMMAND_MS },
    );

    expect(polled).toBe(0);
  });

  it('leaves a command sent 1 ms short of the threshold alone', async () => {
    // Prepare
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const polled: string[] = [];
    const polling = pollingAt(deps, STALE_COMMAND_MS - 1, async (command) => {
      polled.push(command.commandId);
      return allSucceeded(command);
    });

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(polled).toEqual([]);
    expect(out).toEqual({ polledCommands: 0, recoveredResults: 0 });
  });

  it('applies only the results of hosts that have not answered yet', async () => {
    // Prepare: host-1's failure arrived as an event; the poll now reports every host, host-1 differently
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const commandId = 'a1.repetition.w.1';
    await onInvocationStatus(deps, { runId, commandId, hostId: 'host-1', status: 'Failed', exitCode: 3 });
    recorded.callbacks.splice(0);
    const polling = pollingAt(deps, STALE_COMMAND_MS, async (command) => allSucceeded(command));

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(out).toEqual({ polledCommands: 1, recoveredResults: 2 });
    const tasks = await deps.journal.listTasks(runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => [t.host, t.status])).toEqual([
      ['host-1', 'FAILED'],
      ['host-2', 'COMPLETED'],
      ['host-3', 'COMPLETED'],
    ]);
    expect(recorded.callbacks).toEqual([
      { token: 'rep-1', outcome: 'success', detail: { commandId, failedHosts: ['host-1'] } },
    ]);
  });

  it('closes a step whose last answer was recorded but never counted', async () => {
    // Prepare: the process that recorded host-3's result died before counting it
    const { runId, deps, recorded } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const commandId = 'a1.repetition.w.1';
    for (const hostId of ['host-1', 'host-2'])
      await onInvocationStatus(deps, { runId, commandId, hostId, status: 'Success', exitCode: 0 });
    await deps.journal.recordTaskResult(runId, {
      workload: 'w',
      rep: 1,
      host: 'host-3',
      status: 'COMPLETED',
      commandId,
      exitCode: 0,
    });
    recorded.callbacks.splice(0);
    const polling = pollingAt(deps, STALE_COMMAND_MS, async (command) => allSucceeded(command));

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(out).toEqual({ polledCommands: 1, recoveredResults: 1 });
    expect(await deps.journal.getCommand(runId, commandId)).toMatchObject({ status: 'DONE', answered: 3 });
    expect(recorded.callbacks).toEqual([
      { token: 'rep-1', outcome: 'success', detail: { commandId, failedHosts: [] } },
    ]);
  });

  it('polls only the commands still waiting, of runs still going on', async () => {
    // Prepare: an open run with one step done and one waiting; an ended run whose last step never closed
    const open = await plannedRun(db, 'lockstep');
    await runCommand(open.deps, {
      runId: open.runId,
      phase: 'repetition',
      workload: 'w',
      rep: 1,
      taskToken: 't1',
    });
    for (const hostId of HOSTS) {
      await onInvocationStatus(open.deps, {
        runId: open.runId,
        commandId: 'a1.repetition.w.1',
        hostId,
        status: 'Success',
        exitCode: 0,
      });
    }
    await runCommand(open.deps, {
      runId: open.runId,
      phase: 'repetition',
      workload: 'w',
      rep: 2,
      taskToken: 't2',
    });
    const ended = await plannedRun(db, 'lockstep');
    await runCommand(ended.deps, {
      runId: ended.runId,
      phase: 'repetition',
      workload: 'w',
      rep: 1,
      taskToken: 't1',
    });
    await finalizeRun(ended.deps, {
      runId: ended.runId,
      outcome: { error: { Error: WorkflowErrorName.StepFailed, Cause: 'step expired' } },
    });
    const polled: string[] = [];
    const polling = pollingAt(open.deps, STALE_COMMAND_MS, async (command) => {
      polled.push(`${command.runId} ${command.commandId}`);
      return allSucceeded(command);
    });

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(polled).toEqual([`${open.runId} a1.repetition.w.2`]);
    expect(out).toEqual({ polledCommands: 1, recoveredResults: 3 });
  });

  it('leaves a command the runner gave no ids alone: the runner finds its commands itself', async () => {
    // Prepare: the local runner returns no provider ids
    const { runId, deps } = await plannedRun(db, 'lockstep');
    const local = { ...deps, runner: { ...deps.runner, send: async () => ({ providerIds: [] }) } };
    await runCommand(local, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const polled: string[] = [];
    const polling = pollingAt(deps, STALE_COMMAND_MS, async (command) => {
      polled.push(command.commandId);
      return allSucceeded(command);
    });

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(polled).toEqual([]);
    expect(out).toEqual({ polledCommands: 0, recoveredResults: 0 });
  });

  it('reports nothing polled when the runner cannot poll', async () => {
    const { runId, deps } = await plannedRun(db, 'lockstep');
    await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const later = { ...deps, clock: { ...deps.clock, now: () => new Date(SENT + STALE_COMMAND_MS) } };

    const out = await pollStaleCommands(later, { olderThanMs: STALE_COMMAND_MS });

    expect(out).toEqual({ polledCommands: 0, recoveredResults: 0 });
    expect((await deps.journal.getCommand(runId, 'a1.repetition.w.1'))?.status).toBe('SENT');
  });

  it('goes on with the other commands when polling one of them fails, and logs it', async () => {
    // Prepare: two open runs with a stale repetition each; polling the first one's fails
    const broken = await plannedRun(db, 'lockstep');
    const healthy = await plannedRun(db, 'lockstep');
    for (const { runId, deps } of [broken, healthy])
      await runCommand(deps, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'rep-1' });
    const errors: Record<string, unknown>[] = [];
    const polling = {
      ...pollingAt(healthy.deps, STALE_COMMAND_MS, async (command) => {
        if (command.runId === broken.runId) throw new Error('ThrottlingException: Rate exceeded');
        return allSucceeded(command);
      }),
      logger: {
        ...healthy.deps.logger,
        error: (_: string, fields?: Record<string, unknown>) => void errors.push(fields ?? {}),
      },
    };

    // Act
    const out = await pollStaleCommands(polling, { olderThanMs: STALE_COMMAND_MS });

    // Assess
    expect(out).toEqual({ polledCommands: 2, recoveredResults: 3 });
    const tasks = await healthy.deps.journal.listTasks(healthy.runId, { workload: 'w', rep: 1 });
    expect(tasks.map((t) => t.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(errors).toEqual([
      {
        runId: broken.runId,
        commandId: 'a1.repetition.w.1',
        error: 'Error: ThrottlingException: Rate exceeded',
      },
    ]);
  });
});
