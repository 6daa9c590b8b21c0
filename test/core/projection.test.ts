import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantHistory } from '../../bench/lib/instant-run.js';
import { dynamoRequests } from '../../lib/adapters/dynamodb/request-model.js';
import { loadRunDefinition } from '../../lib/adapters/local/workflow-definition.js';
import { PlanValidationError } from '../../lib/core/errors.js';
import { parsePlan } from '../../lib/core/plan.js';
import { plugins } from '../../lib/core/plugins/index.js';
import { projectCost } from '../../lib/core/projection/cost.js';
import { COST_ASSUMPTIONS } from '../../lib/core/projection/cost-assumptions.js';
import { assertHistoryBudget } from '../../lib/core/projection/history-budget.js';
import { HistoryCounter } from '../../lib/core/projection/history-counter.js';
import { type HistoryProjection, projectHistory } from '../../lib/core/projection/history-projection.js';
import { AWS_PRICES } from '../../lib/core/projection/prices.js';
import { type RunShape, runShape } from '../../lib/core/projection/run-shape.js';
import { CliHarness } from '../support/cli.js';

const definition = loadRunDefinition();

/**
 * Runs the real run.asl.json in the local interpreter with Task states that complete at once, and counts
 * the AWS history its events map to, per execution. `failRep` makes that repetition fail with a stop, as
 * stop-run does.
 */
async function interpreterHistory(
  reps: number[],
  failRep?: number,
  free?: { hosts: number; concurrency: number },
) {
  return instantHistory(
    {
      workloads: reps.map((n, i) => ({ name: `w${i}`, reps: range(n) })),
      strategy: free ? 'free' : 'lockstep',
      hosts: range(free?.hosts ?? 0).map((h) => `host-${h}`),
      hostConcurrency: free?.concurrency ?? 1,
    },
    (payload) => {
      if (payload.phase === 'repetition' && payload.rep === failRep) {
        throw Object.assign(new Error('stop requested'), { name: 'Fleetbench.StopRequested' });
      }
    },
  );
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
      // Lockstep or free?, Did the run finish?, and one Check workload outcome per workload
      ChoiceStateEntered: 4,
      ChoiceStateExited: 4,
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
    expect(count.historyEvents).toBe(112);
    expect(count.stateTransitions).toBe(23);
    expect(count.children).toEqual([]);
  });

  it('records 8 history events per lockstep repetition whatever the fleet: at most 8 per (workload, rep, 50-host batch)', async () => {
    const [one, two, five] = await Promise.all([
      interpreterHistory([1]),
      interpreterHistory([2]),
      interpreterHistory([5]),
    ]);

    expect(two.historyEvents - one.historyEvents).toBe(8);
    expect(five.historyEvents - one.historyEvents).toBe(4 * 8);
    // The interpreter never sees the batches (run-command splits a step into ⌈hosts / 50⌉ SSM commands), so
    // a repetition's 8 events are shared by all its batches: 8 at 1 to 50 hosts, 0.4 per batch at 1,000.
    for (const hosts of [1, 50, 1000]) {
      const projected = implemented(projectHistory(shape([2], hosts), 'lockstep'));
      expect(projected.largest.historyEvents - one.historyEvents).toBe(8);
    }
  });

  it.each([
    [[1], 1, 1],
    [[2, 3], 3, 3],
    [[3, 1, 2], 4, 2],
  ])('counts free per execution, the run and each host child, as projectHistory does (workloads %j, %i hosts, %i at once)', async (reps, hosts, concurrency) => {
    const measured = await interpreterHistory(reps, undefined, { hosts, concurrency });
    const projected = implemented(projectHistory(shape(reps, hosts), 'free'));
    const totals = (c: { historyEvents: number; stateTransitions: number }) => ({
      historyEvents: c.historyEvents,
      stateTransitions: c.stateTransitions,
    });

    expect(measured.children).toHaveLength(hosts);
    expect(totals(measured.parent)).toEqual(projected.parent);
    for (const child of measured.children) expect(totals(child)).toEqual(projected.child);
    expect(totals(measured)).toEqual(projected.total);
    expect(projected.executions).toBe(1 + hosts);
  });

  it("maps free's Distributed Map: a Map Run in the run's history, ExecutionStarted…Succeeded in each child's", async () => {
    const count = await interpreterHistory([2], undefined, { hosts: 2, concurrency: 2 });

    expect(count.parent.byType).toMatchObject({ MapRunStarted: 1, MapRunSucceeded: 1, ExecutionStarted: 1 });
    expect(count.parent.byType.MapIterationStarted).toBeUndefined();
    expect(count.parent.byType.TaskSubmitted).toBe(2); // global setup and teardown only
    for (const child of count.children) {
      expect(child.byType).toMatchObject({
        ExecutionStarted: 1,
        ExecutionSucceeded: 1,
        TaskSubmitted: 4, // setup, 2 repetitions, teardown of this host
        MapIterationStarted: 3,
      });
      expect(child.byType.MapRunStarted).toBeUndefined();
    }
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

    expect(projected.largest).toEqual({ historyEvents: 656, stateTransitions: 109 });
    expect(projected.executions).toBe(1);
    expect(projected.hostTasks).toBe(50_000);
    expect(projected.perHostTask?.historyEvents).toBeCloseTo(0.01312, 5);
  });

  it('projects the same plan in free under the limit in every execution: the run and 1,000 host children', () => {
    const projected = implemented(projectHistory(shape(Array(10).fill(5), 1000), 'free'));

    expect(projected.parent).toEqual({ historyEvents: 40, stateTransitions: 10 });
    expect(projected.child).toEqual({ historyEvents: 628, stateTransitions: 102 });
    expect(projected.largest).toEqual(projected.child);
    expect(projected.executions).toBe(1001);
    expect(projected.total).toEqual({ historyEvents: 628_040, stateTransitions: 102_010 });
  });

  it("sizes a free host's execution by the plan's steps, never by the fleet", () => {
    const small = implemented(projectHistory(shape([5, 5], 3), 'free'));
    const large = implemented(projectHistory(shape([5, 5], 5000), 'free'));

    expect(large.largest).toEqual(small.largest);
    expect(large.total.stateTransitions).toBeGreaterThan(small.total.stateTransitions);
  });
});

describe('Function: projectCost', () => {
  it('prices a fixed 2-host, 1-repetition run from its counted requests', () => {
    const cost = projectCost({ ...shape([1]), hosts: 2 }, dynamoRequests);

    expect(cost.usage).toMatchObject({
      hostTasks: 2,
      stateTransitions: 15,
      historyEvents: 66,
      lambda: {
        invocations: { 'plan-run': 1, 'run-command': 5, 'on-invocation-status': 3, 'finalize-run': 1 },
      },
      dynamo: { readUnits: 30, writeUnits: 32 },
      putEventsEntries: 8,
      ssmInvocations: 2,
      s3Puts: 4,
      s3Gets: 4,
      logBytes: 78_000,
      xrayTraces: 2,
    });
    expect(cost.usage.lambda.gbSeconds).toBeCloseTo(0.94517, 5);
    // 15 transitions, 10 requests, 0.94517 GB-s, 32 WRU, 30 RRU, 8 events, 4 PUT, 4 GET, 78,000 log bytes, 2 traces
    expect(cost.totalUsd).toBeCloseTo(0.00048927, 8);
    expect(cost.usdPerThousandHostTasks).toBeCloseTo(0.244637, 6);
    expect(cost.lines.find((l) => l.price === 'ssmRunCommand')?.usd).toBe(0);
    expect(AWS_PRICES.region).toBe('us-east-1');
  });

  it("bills free for its host executions and for each host's one-host commands", () => {
    const lockstep = projectCost({ ...shape([1]), hosts: 2 }, dynamoRequests);
    const free = projectCost({ ...shape([1]), hosts: 2 }, dynamoRequests, 'free');

    // the run's 10 transitions and 8 in each host's execution; 40 + 2 × 38 history events
    expect(free.usage).toMatchObject({ stateTransitions: 26, historyEvents: 116, ssmInvocations: 2 });
    // run-command: global setup and teardown once, each host's setup, repetition and teardown;
    // on-invocation-status: each host's repetition is its own command (one host event, one command event)
    expect(free.usage.lambda.invocations).toEqual({
      'plan-run': 1,
      'run-command': 8,
      'on-invocation-status': 4,
      'finalize-run': 1,
    });
    const freeRows = dynamoRequests({ ...shape([1]), hosts: 2 }, 'free', COST_ASSUMPTIONS.itemBytes);
    expect(freeRows.find((r) => r.request === 'journal PutItem CMD#')?.calls).toBe(2);
    expect(freeRows.find((r) => r.request === "journal GetItem TASK# (the host's)")?.calls).toBe(2);
    expect(free.usage.dynamo.requests).toBeGreaterThan(lockstep.usage.dynamo.requests);
    expect(free.totalUsd).toBeGreaterThan(lockstep.totalUsd);
  });
});

describe('Function: assertHistoryBudget', () => {
  const plan = (reps: number) =>
    parsePlan(
      `name: big\nhosts: { local: 2 }\nrepetitions: ${reps}\nworkloads:\n  - { name: a, plugin: shell, options: { command: "true" } }\n`,
      'plan.yaml',
      plugins,
    );

  const free = (reps: number) => ({ ...plan(reps), strategy: 'free' as const });

  it('accepts the largest lockstep plan within 20,000 events and refuses the next, pointing to free where it fits', () => {
    expect(() => assertHistoryBudget(plan(2492), 'plan.yaml')).not.toThrow();
    expect(() => assertHistoryBudget(plan(2493), 'plan.yaml')).toThrow(
      new PlanValidationError(
        'plan projects 20,002 history events in one execution (limit 20,000)',
        'plan.yaml',
        {
          hint: 'use strategy: free (one execution per host, the largest 19,974 events), fewer repetitions, or split the plan',
        },
      ),
    );
    expect(() => assertHistoryBudget(free(2493), 'plan.yaml')).not.toThrow();
  });

  it('does not point a lockstep plan to free when free would not fit either', () => {
    expect(() => assertHistoryBudget(plan(3000), 'plan.yaml')).toThrow(
      new PlanValidationError(
        'plan projects 24,058 history events in one execution (limit 20,000)',
        'plan.yaml',
        { hint: 'use fewer repetitions, or split the plan' },
      ),
    );
  });

  it("refuses a free plan whose host sequence is too long, with the number per host's execution and the fix", () => {
    expect(() => assertHistoryBudget(free(2496), 'plan.yaml')).not.toThrow();
    expect(() => assertHistoryBudget(free(2497), 'plan.yaml')).toThrow(
      new PlanValidationError(
        "plan projects 20,006 history events in each host's execution (limit 20,000): one host's sequence of steps is too long",
        'plan.yaml',
        { hint: 'use fewer repetitions or workloads per plan, or split the plan' },
      ),
    );
    expect(runShape(free(3000)).workloads).toEqual([{ reps: 3000, setup: 0, teardown: 0 }]);
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
      'plan projects 24,058 history events in one execution (limit 20,000) (use fewer repetitions, or split the plan)',
    );
  });

  it.each([
    ['lockstep', 2493, 'in one execution (limit 20,000) (use strategy: free (one execution per host'],
    ['free', 3000, "24,030 history events in each host's execution (limit 20,000): one host's sequence"],
  ])('rejects an oversized %s plan: exit 2, one line with the number and the fix', async (strategy, reps, text) => {
    const path = await cli.writePlan(
      `over-${strategy}.yaml`,
      `name: over\nhosts: { local: 2 }\nstrategy: ${strategy}\nrepetitions: ${reps}\nworkloads:\n  - { name: a, plugin: shell, options: { command: "true" } }\n`,
    );
    const r = await cli.run('validate', path);

    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(text);
  });

  it("prints free's events per execution, the run's and each host's, and its cost", async () => {
    const path = await cli.writePlan(
      'free.yaml',
      'name: ok\nhosts: { local: 3 }\nstrategy: free\nworkloads:\n  - { name: a, plugin: shell, options: { command: "true" } }\n',
    );
    const text = await cli.run('validate', path);
    const json = JSON.parse((await cli.run('validate', '--json', path)).stdout) as {
      projection: { history: Record<string, number | null>; cost: { usd: number } };
    };

    expect(text.stdout).toMatch(
      /projected Step Functions history: 40 events in the run's execution, 38 in each host's \(3 child executions\), 34 state transitions in all/,
    );
    expect(json.projection.history).toMatchObject({
      executions: 4,
      // a one-repetition host's execution is smaller than the run's
      historyEvents: 40,
      parentHistoryEvents: 40,
      childHistoryEvents: 38,
      stateTransitions: 34,
    });
    expect(json.projection.cost.usd).toBeGreaterThan(0);
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

    expect(text.stdout).toMatch(
      /projected Step Functions history: 66 events in 1 execution, 15 state transitions in all/,
    );
    expect(text.stdout).toMatch(/projected AWS cost: \$\S+ per run, \$\S+ per 1,000 host-tasks/);
    expect(json.projection.history.historyEvents).toBe(66);
    expect(json.projection.cost.usd).toBeGreaterThan(0);
  });
});
