import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFinalizeRunHandler } from '../../lambdas/finalize-run.js';
import { createOnInvocationStatusHandler } from '../../lambdas/on-invocation-status.js';
import { createPlanRunHandler } from '../../lambdas/plan-run.js';
import { createReconcileHandler } from '../../lambdas/reconcile.js';
import { createRunCommandHandler } from '../../lambdas/run-command.js';
import { lambda, logger } from '../../lambdas/runtime.js';
import { createStopRunHandler } from '../../lambdas/stop-run.js';
import type { AwsClients, AwsConfig } from '../../lib/adapters/aws/config.js';
import type { SfnExecutions } from '../../lib/adapters/aws/sfn-executions.js';
import type { SsmStatusEvents } from '../../lib/adapters/aws/ssm-status-event.js';
import { pollStaleCommands } from '../../lib/app/poll-stale-commands.js';
import { UsageError } from '../../lib/core/errors.js';
import type { Plan } from '../../lib/core/plan.js';
import type { CatalogEntry, CommandRecord, InvocationResult, RunMeta } from '../../lib/core/run.js';
import { emptyCounts } from '../../lib/core/task-state.js';
import { context, fakeDeps } from './fakes.js';

const RUN = 'cpu-20250102-030405-i000';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Fleetbench-run:x';

const meta = {
  runId: RUN,
  plan: { name: 'cpu', timeouts: { task: 600, stop: 30 }, workloads: [] } as unknown as Plan,
  planHash: 'h',
  target: 'aws',
  hosts: [{ id: 'i-1', name: 'h1' }],
  excludedHosts: [],
  attempt: 1,
  createdAt: '2025-01-02T03:00:00.000Z',
  updatedAt: '2025-01-02T03:00:00.000Z',
} satisfies RunMeta;

function entry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    runId: RUN,
    name: 'cpu',
    state: 'RUNNING_WORKLOADS',
    target: 'aws',
    hosts: ['h1'],
    workloads: ['cpu'],
    counts: emptyCounts(),
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    executionArn: EXECUTION,
    ...overrides,
  };
}

function command(overrides: Partial<CommandRecord> = {}): CommandRecord {
  return {
    runId: RUN,
    commandId: 'a1.repetition.cpu.1',
    phase: 'repetition',
    workload: 'cpu',
    rep: 1,
    hosts: [
      { id: 'i-1', name: 'h1' },
      { id: 'i-2', name: 'h2' },
    ],
    taskToken: 'token',
    cancellable: true,
    status: 'SENT',
    hostCount: 2,
    answered: 0,
    outcomes: {},
    providerIds: ['ssm-1'],
    sentAt: '2025-01-02T02:50:00.000Z',
    ...overrides,
  };
}

beforeEach(() => {
  vi.spyOn(logger, 'info').mockImplementation(() => {});
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  vi.spyOn(logger, 'error').mockImplementation(() => {});
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Handler: run-command', () => {
  it('fails a refused step with the error name the state machine catches (Fleetbench.StopRequested)', async () => {
    // Prepare: a stop was requested while the workflow moved on to the next repetition.
    const deps = fakeDeps({
      journal: { getRun: async () => meta },
      catalog: {
        get: async () =>
          entry({ stopRequest: { requestedAt: 'x', requestedBy: 'cli:alice', reason: 'r', force: false } }),
      },
    });
    const handler = lambda(createRunCommandHandler(() => ({ deps })));

    // Act
    const invocation = handler(
      { phase: 'repetition', runId: RUN, workload: 'cpu', rep: 2, taskToken: 't' },
      context,
    );

    // Assess: Lambda reports errorType = error.name, which the ASL's Catch and Choice match.
    await expect(invocation).rejects.toMatchObject({ name: 'Fleetbench.StopRequested' });
    expect(logger.error).toHaveBeenCalledWith(
      'invocation failed',
      expect.objectContaining({ errorName: 'Fleetbench.StopRequested' }),
    );
  });

  it('rejects a malformed payload naming the field', async () => {
    const handler = createRunCommandHandler(() => ({ deps: fakeDeps() }));

    const invocation = handler({ phase: 'warmup', runId: RUN, taskToken: 't' });

    await expect(invocation).rejects.toBeInstanceOf(UsageError);
    await expect(invocation).rejects.toThrow(/^invalid Run command payload: phase: /);
  });
});

describe('Handler: plan-run', () => {
  it('needs exactly one of plan and resume in the execution input', async () => {
    const handler = createPlanRunHandler(() => ({ deps: fakeDeps() }));

    await expect(handler({ input: {}, executionArn: EXECUTION })).rejects.toThrow(
      /exactly one of "plan".*"resume"/,
    );
  });

  it('passes a resume through with the execution arn', async () => {
    const deps = fakeDeps({
      journal: { getRun: async () => undefined },
      catalog: { get: async () => undefined },
    });
    const handler = createPlanRunHandler(() => ({ deps }));

    await expect(handler({ input: { resume: { runId: RUN } }, executionArn: EXECUTION })).rejects.toThrow(
      `run ${RUN} has no journal to resume`,
    );
  });
});

describe('Handler: finalize-run', () => {
  it('rejects a payload without a run id', async () => {
    const handler = createFinalizeRunHandler(() => ({ deps: fakeDeps() }));

    await expect(handler({ outcome: {} })).rejects.toThrow(/^invalid Finalize run payload: runId: /);
  });
});

describe('Handler: on-invocation-status', () => {
  const event = {
    version: '0',
    source: 'aws.ssm',
    'detail-type': 'EC2 Command Invocation Status-change Notification',
    detail: {
      'command-id': 'ssm-1',
      'instance-id': 'i-1',
      'document-name': 'AWS-RunShellScript',
      status: 'Success',
    },
  };

  /** The journal's answer for the event's SSM command id: fleetbench's command, or nobody's. */
  const ours = { findCommandByProviderId: vi.fn(async () => ({ runId: RUN, commandId: 'a1.setup.cpu' })) };

  it.each([
    ['EC2 Command Invocation Status-change Notification', event.detail],
    ['EC2 Command Status-change Notification', { 'command-id': 'ssm-1', status: 'Success' }],
  ])('ignores a %s of a command fleetbench never sent before any SSM or S3 call, with a log line', async (detailType, detail) => {
    const statusEvents = { invocationResult: vi.fn(), commandResults: vi.fn() } as unknown as SsmStatusEvents;
    const findCommandByProviderId = vi.fn(async () => undefined);
    const deps = fakeDeps({ journal: { findCommandByProviderId } });
    const handler = createOnInvocationStatusHandler(() => ({ deps, statusEvents }));

    await expect(
      handler({
        ...event,
        'detail-type': detailType,
        detail: { 'document-name': 'AWS-RunShellScript', ...detail },
      }),
    ).resolves.toEqual({ outcomes: [] });

    expect(findCommandByProviderId).toHaveBeenCalledWith('ssm-1');
    expect(statusEvents.invocationResult).not.toHaveBeenCalled();
    expect(statusEvents.commandResults).not.toHaveBeenCalled();
    expect(logger.info).toHaveBeenCalledWith("status event of a command that is not fleetbench's ignored", {
      commandId: 'ssm-1',
    });
  });

  it("hands a fleetbench command's result to the use case, with the ids the journal has for the SSM command", async () => {
    const result: InvocationResult = {
      runId: RUN,
      commandId: 'a1.setup.cpu',
      hostId: 'i-1',
      status: 'Success',
      exitCode: 0,
    };
    const statusEvents = { invocationResult: vi.fn(async () => result) } as unknown as SsmStatusEvents;
    const getCommandSpec = vi.fn(async () => undefined);
    const deps = fakeDeps({ journal: { ...ours, getCommandSpec } });
    const handler = createOnInvocationStatusHandler(() => ({ deps, statusEvents }));

    await expect(handler(event)).resolves.toEqual({ outcomes: ['ignored'] });

    expect(statusEvents.invocationResult).toHaveBeenCalledWith(
      expect.objectContaining({ detail: event.detail }),
      {
        runId: RUN,
        commandId: 'a1.setup.cpu',
      },
    );
    expect(getCommandSpec).toHaveBeenCalledWith(RUN, 'a1.setup.cpu');
  });

  it('does not call SSM for a status that is not an end', async () => {
    const statusEvents = { invocationResult: vi.fn() } as unknown as SsmStatusEvents;
    const handler = createOnInvocationStatusHandler(() => ({ deps: fakeDeps(), statusEvents }));

    await handler({ ...event, detail: { ...event.detail, status: 'InProgress' } });

    expect(statusEvents.invocationResult).not.toHaveBeenCalled();
  });

  it('applies only the results a command status event recovers for hosts that never reported', async () => {
    const results: InvocationResult[] = [
      { runId: RUN, commandId: 'a1.repetition.cpu.1', hostId: 'i-1', status: 'Success' },
      { runId: RUN, commandId: 'a1.repetition.cpu.1', hostId: 'i-2', status: 'Failed', exitCode: 1 },
    ];
    const statusEvents = { commandResults: vi.fn(async () => results) } as unknown as SsmStatusEvents;
    const getCommand = vi.fn(async () => command({ outcomes: { 'i-1': { status: 'Success' } } }));
    const getCommandSpec = vi.fn(async () => undefined);
    const deps = fakeDeps({ journal: { ...ours, getCommand, getCommandSpec } });
    const handler = createOnInvocationStatusHandler(() => ({ deps, statusEvents }));

    const out = await handler({
      source: 'aws.ssm',
      'detail-type': 'EC2 Command Status-change Notification',
      detail: { 'command-id': 'ssm-1', 'document-name': 'AWS-RunShellScript', status: 'Failed' },
    });

    expect(out).toEqual({ outcomes: ['ignored'] });
    expect(getCommand).toHaveBeenCalledTimes(1);
    expect(getCommandSpec).toHaveBeenCalledTimes(1);
  });
});

describe('Handler: stop-run', () => {
  const stopEvent = (detail: Record<string, unknown>) => ({
    source: 'dev.fleetbench.cli',
    'detail-type': 'Stop Requested',
    detail: { runId: RUN, requestedBy: 'cli:alice', ...detail },
  });

  it('drops a stop for an unknown run with a log line instead of failing (EventBridge would retry)', async () => {
    const executions = { owns: vi.fn(), stop: vi.fn() } as unknown as SfnExecutions;
    const handler = createStopRunHandler(() => ({
      deps: fakeDeps({ catalog: { get: async () => undefined } }),
      executions,
    }));

    await expect(handler(stopEvent({}))).resolves.toEqual({ rejected: `run ${RUN} not found` });

    expect(logger.warn).toHaveBeenCalledWith('stop request rejected', {
      runId: RUN,
      reason: `run ${RUN} not found`,
    });
    expect(executions.stop).not.toHaveBeenCalled();
  });

  it('rejects an event without requestedBy', async () => {
    const handler = createStopRunHandler(() => ({ deps: fakeDeps(), executions: {} as SfnExecutions }));

    await expect(handler({ ...stopEvent({}), detail: { runId: RUN } })).rejects.toThrow(
      /detail\.requestedBy/,
    );
  });
});

describe('Handler: reconcile', () => {
  it('polls only commands still SENT after 10 minutes, for runs still open', async () => {
    const stale = command();
    const fresh = command({ commandId: 'a1.repetition.cpu.2', sentAt: '2025-01-02T03:00:00.000Z' });
    const done = command({ commandId: 'a1.setup.cpu', status: 'DONE' });
    const poll = vi.fn(
      async (c: CommandRecord): Promise<InvocationResult[]> =>
        c.hosts.map((h) => ({ runId: RUN, commandId: c.commandId, hostId: h.id, status: 'Success' })),
    );
    const getCommand = vi.fn(async (_runId: string, id: string) =>
      [stale, fresh, done].find((c) => c.commandId === id),
    );
    const getCommandSpec = vi.fn(async () => undefined);
    const deps = fakeDeps({
      catalog: {
        list: async () => [entry(), entry({ runId: 'old-20250101-000000-aaaa', state: 'FINISHED' })],
      },
      journal: { listCommands: async () => [stale, fresh, done], getCommand, getCommandSpec },
      runner: { poll },
    });

    const out = await pollStaleCommands(deps, { olderThanMs: 10 * 60 * 1000 });

    expect(poll.mock.calls.map(([c]) => c.commandId)).toEqual(['a1.repetition.cpu.1']);
    expect(getCommandSpec).toHaveBeenCalledTimes(2);
    expect(out).toEqual({ polledCommands: 1, recoveredResults: 0 });
  });

  it('fails a run whose execution is gone, but not one the execution finalized meanwhile', async () => {
    const open = entry();
    const finalized = entry({ runId: 'two-20250102-030405-i001' });
    const updateState = vi.fn(async () => {});
    const deps = fakeDeps({
      catalog: {
        list: async () => [open, finalized],
        get: async (runId: string) =>
          runId === open.runId ? open : { ...finalized, state: 'FINISHED' as const },
        updateState,
      },
      journal: { listCommands: async () => [], listStates: async () => [], appendState: async () => {} },
    });
    const executions = { isDriverAlive: vi.fn(async () => false) } as unknown as SfnExecutions;

    // No retention configured: the handler never reaches for the clients.
    const runtime = { config: {} as AwsConfig, clients: {} as AwsClients, deps, executions };
    const out = await createReconcileHandler(() => runtime)();

    expect(out.failedRuns.map((f) => f.runId)).toEqual([open.runId]);
    expect(updateState).toHaveBeenCalledWith(
      open.runId,
      'RUNNING_WORKLOADS',
      'FAILED',
      expect.objectContaining({ reason: expect.stringContaining('fleetbench resume') }),
    );
  });
});
