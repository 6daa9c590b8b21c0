import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunDefinition, taskFunctions } from '../../lib/adapters/local/workflow-definition.js';
import { PlanValidationError } from '../../lib/core/errors.js';
import { parsePlan } from '../../lib/core/plan.js';
import { plugins } from '../../lib/core/plugins/index.js';
import {
  AWS_PRICES,
  assertHistoryBudget,
  HistoryCounter,
  type HistoryProjection,
  projectCost,
  projectHistory,
  type RunShape,
  runShape,
} from '../../lib/core/projection.js';
import { CliHarness } from '../support/cli.js';

const definition = loadRunDefinition();

/**
 * Runs the real run.asl.json in the local interpreter with Task states that complete at once, and counts
 * the AWS history its events map to. `failRep` makes that repetition fail with a stop, as stop-run does.
 */
async function interpreterHistory(reps: number[], failRep?: number) {
  const handlers: Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>> = {};
  for (const [state, fn] of taskFunctions(definition)) {
    handlers[state] = async ({ Payload }) => {
      if (fn.includes('PlanRun'))
        return {
          Payload: { runId: 'r', workloads: reps.map((n, i) => ({ name: `w${i}`, reps: range(n) })) },
        };
      if (fn.includes('FinalizeRun')) return { Payload: { state: 'FINISHED', counts: {} } };
      if (Payload.phase === 'repetition' && Payload.rep === failRep) {
        throw Object.assign(new Error('stop requested'), { name: 'Fleetbench.StopRequested' });
      }
      return {};
    };
  }
  const execution = new StateMachine(definition as never, { validationOptions: { checkArn: false } }).run(
    {},
    {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Id: 'test' }, Task: { Token: 'token' } } as never,
    },
  );
  const counter = new HistoryCounter(definition as never);
  for await (const event of execution.eventLogs) counter.add(event);
  await execution.result;
  return counter.count();
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function shape(reps: number[], hosts: number | undefined = 2): RunShape {
  return {
    hosts,
    globalSetup: 0,
    globalTeardown: 0,
    workloads: reps.map((n) => ({ reps: n, setup: 0, teardown: 0 })),
  };
}

function implemented(p: HistoryProjection) {
  if (!p.implemented) throw new Error('expected an implemented strategy');
  return p;
}

describe('Function: HistoryCounter', () => {
  it('maps a real interpreter run of run.asl.json to the AWS history events of a Standard execution', async () => {
    const count = await interpreterHistory([1, 3]);

    expect(count.byType).toEqual({
      ChoiceStateEntered: 3,
      ChoiceStateExited: 3,
      ExecutionStarted: 1,
      ExecutionSucceeded: 1,
      MapIterationStarted: 6,
      MapIterationSucceeded: 6,
      MapStateEntered: 3,
      MapStateExited: 3,
      MapStateStarted: 3,
      MapStateSucceeded: 3,
      PassStateEntered: 1,
      PassStateExited: 1,
      SucceedStateEntered: 3,
      SucceedStateExited: 3,
      // 2 request-response Tasks (Plan run, Finalize run) + 10 waitForTaskToken Tasks
      TaskScheduled: 12,
      TaskStarted: 12,
      TaskStateEntered: 12,
      TaskStateExited: 12,
      TaskSubmitted: 10,
      TaskSucceeded: 12,
    });
    expect(count.historyEvents).toBe(110);
    expect(count.stateTransitions).toBe(22);
  });

  it.each([
    [[1], 2],
    [[5, 5, 5], 1],
    [[2, 7], 3],
  ])('agrees with projectHistory for workloads of %j repetitions', async (reps, hosts) => {
    const measured = await interpreterHistory(reps);
    const projected = implemented(projectHistory(shape(reps, hosts), 'lockstep'));

    expect(projected.largest).toEqual({
      historyEvents: measured.historyEvents,
      stateTransitions: measured.stateTransitions,
    });
  });

  it('maps a stopped run: the failed Task, the failed iterations and Maps, the Fail state, and the catches', async () => {
    const count = await interpreterHistory([3], 2);

    expect(count.byType).toMatchObject({
      TaskFailed: 1,
      MapIterationFailed: 2,
      MapStateFailed: 2,
      FailStateEntered: 1,
      // every Task but the failed repetition, which ends its iteration instead of being left
      TaskStateExited: 7,
      TaskSucceeded: 7,
      ExecutionSucceeded: 1,
    });
    expect(count.byType.MapStateSucceeded).toBeUndefined();
  });

  it('refuses an interpreter event it has no mapping for', () => {
    const counter = new HistoryCounter(definition as never);
    expect(() =>
      counter.add({ type: 'StateEntered', state: { name: 'No such state', type: 'Task' } }),
    ).toThrow(/no history mapping/);
  });
});

describe('Function: projectHistory', () => {
  it('projects the 1,000-host × 10-workload × 5-repetition lockstep plan far under the limit', () => {
    const projected = implemented(projectHistory(shape(Array(10).fill(5), 1000), 'lockstep'));

    expect(projected.largest).toEqual({ historyEvents: 654, stateTransitions: 108 });
    expect(projected.hostTasks).toBe(50_000);
    expect(projected.perHostTask?.historyEvents).toBeCloseTo(0.01308, 5);
  });

  it('reports strategy free as not implemented', () => {
    expect(projectHistory(shape([5]), 'free')).toEqual({
      strategy: 'free',
      implemented: false,
      reason: 'strategy free is not implemented in run.asl.json yet (it runs as lockstep)',
    });
  });
});

describe('Function: projectCost', () => {
  it('prices a fixed 2-host, 1-repetition run from its counted requests', () => {
    const cost = projectCost({ ...shape([1]), hosts: 2 });

    expect(cost.usage).toMatchObject({
      hostTasks: 2,
      stateTransitions: 14,
      historyEvents: 64,
      lambda: {
        invocations: { 'plan-run': 1, 'run-command': 5, 'on-invocation-status': 3, 'finalize-run': 1 },
      },
      dynamo: { readUnits: 37, writeUnits: 32 },
      putEventsEntries: 8,
      ssmInvocations: 2,
      s3Puts: 4,
      s3Gets: 4,
      logBytes: 76_000,
      xrayTraces: 2,
    });
    expect(cost.usage.lambda.gbSeconds).toBeCloseTo(0.94517, 5);
    // 14 transitions, 10 requests, 0.94517 GB-s, 32 WRU, 37 RRU, 8 events, 4 PUT, 4 GET, 76,000 log bytes, 2 traces
    expect(cost.totalUsd).toBeCloseTo(0.00046422, 8);
    expect(cost.usdPerThousandHostTasks).toBeCloseTo(0.2321088, 6);
    expect(cost.lines.find((l) => l.price === 'ssmRunCommand')?.usd).toBe(0);
    expect(AWS_PRICES.region).toBe('us-east-1');
  });
});

describe('Function: assertHistoryBudget', () => {
  const plan = (reps: number) =>
    parsePlan(
      `name: big\nhosts: { local: 2 }\nrepetitions: ${reps}\nworkloads:\n  - { name: a, plugin: shell, options: { command: "true" } }\n`,
      'plan.yaml',
      plugins,
    );

  it('accepts the largest plan within 20,000 events and refuses the next, naming the number and the fix', () => {
    expect(() => assertHistoryBudget(plan(2493), 'plan.yaml')).not.toThrow();
    expect(() => assertHistoryBudget(plan(2494), 'plan.yaml')).toThrow(
      new PlanValidationError(
        'plan projects 20,008 history events in one execution (limit 20,000)',
        'plan.yaml',
        { hint: 'use strategy: free, fewer repetitions, or split the plan' },
      ),
    );
  });

  it('projects a free plan as the lockstep workflow it runs as today', () => {
    const free = { ...plan(3000), strategy: 'free' as const };
    expect(() => assertHistoryBudget(free, 'plan.yaml')).toThrow(/24,056 history events/);
    expect(runShape(free).workloads).toEqual([{ reps: 3000, setup: 0, teardown: 0 }]);
  });
});

describe('Command: validate', () => {
  let cli: CliHarness;

  beforeAll(async () => {
    cli = await CliHarness.create();
  });
  afterAll(async () => cli.dispose());

  it('rejects a plan projecting more than 20,000 history events: exit 2, one line with the number and the fix', async () => {
    const path = await cli.writePlan(
      'over.yaml',
      'name: over\nhosts: { local: 2 }\nrepetitions: 3000\nworkloads:\n  - { name: a, plugin: shell, options: { command: "true" } }\n',
    );
    const r = await cli.run('validate', path);

    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      'plan projects 24,056 history events in one execution (limit 20,000) (use strategy: free, fewer repetitions, or split the plan)',
    );
  });

  it('prints the projected history and cost, also as JSON', async () => {
    const path = await cli.writePlan(
      'ok.yaml',
      'name: ok\nhosts: { local: 2 }\nworkloads:\n  - { name: a, plugin: shell, options: { command: "true" } }\n',
    );
    const text = await cli.run('validate', path);
    const json = JSON.parse((await cli.run('validate', '--json', path)).stdout) as {
      projection: { history: { historyEvents: number }; cost: { usd: number } };
    };

    expect(text.stdout).toMatch(/projected Step Functions history: 64 events and 14 state transitions/);
    expect(text.stdout).toMatch(/projected AWS cost: \$\S+ per run, \$\S+ per 1,000 host-tasks/);
    expect(json.projection.history.historyEvents).toBe(64);
    expect(json.projection.cost.usd).toBeGreaterThan(0);
  });
});
