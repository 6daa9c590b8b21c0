/**
 * The history budget `validate` and `run` hold a plan to: a Standard execution records at most 25,000
 * events, and fleetbench refuses a plan whose largest execution would project more than 20,000, saying
 * what would fit.
 */
import { PlanValidationError } from '../errors.js';
import type { Plan } from '../plan.js';
import { projectHistory, projectRunHistory } from './history-projection.js';
import { runShape } from './run-shape.js';

/** Hard limit of history events in one Standard execution. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** What fleetbench allows one execution to project: the rest is headroom for retries, stops and failures. */
export const HISTORY_EVENT_BUDGET = 20_000;

/**
 * Refuses a plan whose largest execution would record more than HISTORY_EVENT_BUDGET events, saying by how
 * much and what would fit: in lockstep, strategy free when each host's execution would fit; in free, whose
 * executions are one per host, only a shorter sequence of steps.
 * @throws PlanValidationError (exit 2) naming the number and the fix
 * @example
 * assertHistoryBudget(plan, 'plan.yaml'); // throws for 1 workload × 3,000 repetitions
 */
export function assertHistoryBudget(plan: Plan, source: string): void {
  const { largest } = projectRunHistory(plan);
  if (largest.historyEvents <= HISTORY_EVENT_BUDGET) return;
  const count = (n: number) => n.toLocaleString('en-US');
  const limit = `(limit ${count(HISTORY_EVENT_BUDGET)})`;
  if (plan.strategy === 'free') {
    throw new PlanValidationError(
      `plan projects ${count(largest.historyEvents)} history events in each host's execution ${limit}: one host's sequence of steps is too long`,
      source,
      { hint: 'use fewer repetitions or workloads per plan, or split the plan' },
    );
  }
  const free = projectHistory(runShape(plan), 'free');
  const freeFits = free.implemented && free.largest.historyEvents <= HISTORY_EVENT_BUDGET;
  throw new PlanValidationError(
    `plan projects ${count(largest.historyEvents)} history events in one execution ${limit}`,
    source,
    {
      hint: freeFits
        ? `use strategy: free (one execution per host, the largest ${count(free.largest.historyEvents)} events), fewer repetitions, or split the plan`
        : 'use fewer repetitions, or split the plan',
    },
  );
}
