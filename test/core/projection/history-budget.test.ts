import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanValidationError } from '../../../lib/core/errors.js';
import { parsePlan } from '../../../lib/core/plan.js';
import { plugins } from '../../../lib/core/plugins/index.js';
import { assertHistoryBudget } from '../../../lib/core/projection/history-budget.js';
import { runShape } from '../../../lib/core/projection/run-shape.js';
import { CliHarness } from '../../support/cli.js';

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
