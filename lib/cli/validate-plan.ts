/**
 * What `fleetbench validate <plan>` prints: the plan's errors, or what it would run, how long it may take,
 * the Step Functions history it would record and what it would cost on aws. A plan whose history would
 * not fit one execution is refused here, before anything runs. A workload with a matrix is listed with the
 * variants it expands into, each a workload of the run.
 */
import { dynamoRequests } from '../adapters/dynamodb/request-model.js';
import { formatDuration } from '../core/duration.js';
import { estimatePlan } from '../core/estimate.js';
import { projectCost } from '../core/projection/cost.js';
import {
  assertHistoryBudget,
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENT_LIMIT,
} from '../core/projection/history-budget.js';
import { projectRunHistory } from '../core/projection/history-projection.js';
import { AWS_PRICES } from '../core/projection/prices.js';
import { runShape } from '../core/projection/run-shape.js';
import type { Io } from './io.js';
import { readPlanFile } from './plan-file.js';

/**
 * Validates the plan file and prints its estimate and projections (JSON with `json`).
 * @example
 * await validatePlan(io, 'examples/quickstart.yaml', { json: true }); // {"valid": true, "name": "quickstart", …}
 */
export async function validatePlan(io: Io, planPath: string, opts: { json?: boolean }): Promise<void> {
  const plan = await readPlanFile(planPath, io.cwd);
  assertHistoryBudget(plan, planPath);
  const estimate = estimatePlan(plan);
  const history = projectRunHistory(plan);
  const shape = runShape(plan);
  const cost =
    shape.hosts === undefined
      ? undefined
      : projectCost({ ...shape, hosts: shape.hosts }, dynamoRequests, plan.strategy);
  if (opts.json) {
    const projection = {
      history: {
        strategy: history.strategy,
        executions: history.executions ?? null,
        historyEvents: history.largest.historyEvents,
        parentHistoryEvents: history.parent.historyEvents,
        childHistoryEvents: history.child?.historyEvents ?? null,
        stateTransitions: history.total.stateTransitions,
        limit: HISTORY_EVENT_LIMIT,
        budget: HISTORY_EVENT_BUDGET,
      },
      cost:
        cost === undefined
          ? null
          : {
              usd: cost.totalUsd,
              usdPerThousandHostTasks: cost.usdPerThousandHostTasks,
              region: AWS_PRICES.region,
              pricesReadOn: AWS_PRICES.readOn,
              lines: cost.lines.map((l) => ({ service: l.service, quantity: l.quantity, usd: l.usd })),
              excluded: cost.excluded,
            },
    };
    io.out(`${JSON.stringify({ valid: true, name: plan.name, ...estimate, projection }, null, 2)}\n`);
    return;
  }
  const count = (n: number) => n.toLocaleString('en-US');
  io.out(
    `Plan "${plan.name}" is valid.\n` +
      `  ${estimate.workloads} workload(s), ${estimate.hosts} host(s), ${estimate.tasks} task(s)${estimate.warmupTasks > 0 ? ` (${estimate.warmupTasks} of them warm-ups, left out of the statistics)` : ''}\n` +
      expansion(estimate.variants) +
      `  estimated duration: ~${formatDuration(estimate.seconds)} (${plan.strategy}, ${plan.concurrency ?? 'all'} host(s) at once)\n` +
      `  projected Step Functions history: ${perExecution(history, count)}, ${count(history.total.stateTransitions)} state transitions in all (limit ${count(HISTORY_EVENT_LIMIT)} events per execution, fleetbench allows ${count(HISTORY_EVENT_BUDGET)})\n` +
      (cost === undefined
        ? '  projected AWS cost: depends on how many hosts the tags select\n'
        : `  projected AWS cost: ${usd(cost.totalUsd)} per run, ${usd(cost.usdPerThousandHostTasks)} per 1,000 host-tasks (${AWS_PRICES.region} list prices of ${AWS_PRICES.readOn}; EC2 time excluded)\n`),
  );
}

/** Variants listed in full up to this many per workload; `--json` lists them all. */
const LISTED_VARIANTS = 20;

/** What each matrix expands into, one variant a line, before anything runs. */
function expansion(variants: ReturnType<typeof estimatePlan>['variants']): string {
  return variants
    .map(({ workload, names }) => {
      const listed = names.slice(0, LISTED_VARIANTS).map((name) => `    ${name}\n`);
      const more = names.length - listed.length;
      return (
        `  ${workload}: matrix of ${names.length} variant(s)\n${listed.join('')}` +
        (more > 0 ? `    … and ${more} more (validate --json lists them all)\n` : '')
      );
    })
    .join('');
}

/** Events per execution: the one execution of lockstep; free's parent and its largest child (one per host). */
function perExecution(history: ReturnType<typeof projectRunHistory>, count: (n: number) => string): string {
  if (history.child === undefined) return `${count(history.parent.historyEvents)} events in 1 execution`;
  const children = history.executions === undefined ? 'one per host' : count(history.executions - 1);
  return `${count(history.parent.historyEvents)} events in the run's execution, ${count(history.child.historyEvents)} in each host's (${children} child executions)`;
}

/** Dollars with enough digits to show cents and fractions of a cent. */
function usd(value: number): string {
  if (value >= 1) return `$${value.toFixed(2)}`;
  return `$${value.toPrecision(2)}`;
}
