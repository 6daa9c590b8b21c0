/**
 * The history a run records on aws, projected from its shape: run.asl.json on its happy path, state by
 * state, sized with the mapping of history-mapping.ts (the tests run the real interpreter through
 * history-counter.ts to keep this true). Counts are for a first attempt (no failure, stop or resume).
 */
import type { Plan } from '../plan.js';
import { STATE_HISTORY, type StateKind } from './history-mapping.js';
import { type RunShape, runShape } from './run-shape.js';

export type HistoryTotals = { readonly historyEvents: number; readonly stateTransitions: number };

export type HistoryProjection =
  | {
      readonly strategy: Plan['strategy'];
      readonly implemented: true;
      /** 1 in lockstep; in free the parent and one child per host (undefined while the hosts are unknown). */
      readonly executions: number | undefined;
      /** The largest single execution: what the 25,000-event limit applies to. */
      readonly largest: HistoryTotals;
      /** The run's own execution; in lockstep the only one. */
      readonly parent: HistoryTotals;
      /** free: the largest host's child execution (every host runs the same steps, so all are this size). */
      readonly child: HistoryTotals | undefined;
      /** Every execution together (in free with unknown hosts, as if there were one): what is billed. */
      readonly total: HistoryTotals;
      readonly hostTasks: number | undefined;
      readonly perHostTask: HistoryTotals | undefined;
    }
  | { readonly strategy: Plan['strategy']; readonly implemented: false; readonly reason: string };

/** Strategies run.asl.json implements. */
const WORKFLOW_STRATEGIES: readonly Plan['strategy'][] = ['lockstep', 'free'];

const size = (kind: StateKind): HistoryTotals => ({
  historyEvents: STATE_HISTORY[kind].entered.length + STATE_HISTORY[kind].exited.length,
  stateTransitions: 1,
});
const sum = (...parts: HistoryTotals[]): HistoryTotals => ({
  historyEvents: parts.reduce((n, p) => n + p.historyEvents, 0),
  stateTransitions: parts.reduce((n, p) => n + p.stateTransitions, 0),
});
const times = (n: number, t: HistoryTotals): HistoryTotals => ({
  historyEvents: n * t.historyEvents,
  stateTransitions: n * t.stateTransitions,
});
const ITERATION: HistoryTotals = { historyEvents: 2, stateTransitions: 0 };
const EXECUTION: HistoryTotals = { historyEvents: 2, stateTransitions: 0 };

/** The states every run passes whatever its strategy, with ExecutionStarted/Succeeded. */
const COMMON = sum(
  EXECUTION,
  size('Task:requestResponse'), // Plan run
  size('Pass'), // Prepare run
  size('Task:waitForTaskToken'), // Run global setup
  size('Choice'), // Lockstep or free?
  size('Task:waitForTaskToken'), // Run global teardown
  size('Task:requestResponse'), // Finalize run
  size('Choice'), // Did the run finish?
  size('Succeed'), // Run finished
);

/** One workload's iteration, on every host (lockstep) or on one host (free): Set up, the repetitions' Map, Tear down, Check, done. */
const PER_WORKLOAD = sum(
  ITERATION,
  size('Task:waitForTaskToken'),
  size('Map'),
  size('Task:waitForTaskToken'),
  size('Choice'),
  size('Succeed'),
);
/** One repetition's iteration: its one Task. */
const PER_REPETITION = sum(ITERATION, size('Task:waitForTaskToken'));

const workloadsOf = (shape: RunShape): HistoryTotals =>
  sum(...shape.workloads.map((w) => sum(PER_WORKLOAD, times(w.reps, PER_REPETITION))));

/**
 * run.asl.json on its happy path, state by state (the tests run the real interpreter to keep this true).
 * Lockstep: one "Run repetition" Task per (workload, repetition) whatever the number of hosts, because
 * run-command sends one command per step and the runner splits it into batches of ≤ 50 hosts.
 * Free: the parent runs "Run hosts" (Distributed Map) and "Did a host end early?" in place of the workloads;
 * each host's child execution runs "Run host's workloads" (Map) and "Host done", and the same per-workload
 * and per-repetition states as lockstep for that host alone: its history grows with the plan's steps, never
 * with the fleet.
 */
function historyOf(
  shape: RunShape,
  strategy: Plan['strategy'],
): { parent: HistoryTotals; child?: HistoryTotals } {
  if (strategy === 'lockstep') return { parent: sum(COMMON, size('Map'), workloadsOf(shape)) };
  return {
    parent: sum(COMMON, size('Map:distributed'), size('Choice')),
    child: sum(EXECUTION, size('Map'), size('Pass'), workloadsOf(shape)),
  };
}

/**
 * The history a run records, projected from its shape.
 * @example
 * projectHistory({ hosts: 1000, globalSetup: 0, globalTeardown: 0, workloads: Array(10).fill({ reps: 5, setup: 0, teardown: 0 }) }, 'lockstep');
 * // { implemented: true, executions: 1, largest: { historyEvents: 656, stateTransitions: 109 }, … }
 */
export function projectHistory(shape: RunShape, strategy: Plan['strategy']): HistoryProjection {
  if (!WORKFLOW_STRATEGIES.includes(strategy)) {
    return { strategy, implemented: false, reason: `strategy ${strategy} is not in run.asl.json` };
  }
  const { parent, child } = historyOf(shape, strategy);
  const largest = child !== undefined && child.historyEvents > parent.historyEvents ? child : parent;
  const total = child === undefined ? parent : sum(parent, times(shape.hosts ?? 1, child));
  const hostTasks =
    shape.hosts === undefined ? undefined : shape.hosts * shape.workloads.reduce((n, w) => n + w.reps, 0);
  return {
    strategy,
    implemented: true,
    executions: child === undefined ? 1 : shape.hosts === undefined ? undefined : 1 + shape.hosts,
    largest,
    parent,
    child,
    total,
    hostTasks,
    perHostTask:
      hostTasks === undefined || hostTasks === 0
        ? undefined
        : {
            historyEvents: total.historyEvents / hostTasks,
            stateTransitions: total.stateTransitions / hostTasks,
          },
  };
}

/** The projection of the workflow that will run the plan. */
export function projectRunHistory(plan: Plan): Extract<HistoryProjection, { implemented: true }> {
  const projected = projectHistory(runShape(plan), plan.strategy);
  if (!projected.implemented) throw new Error(projected.reason);
  return projected;
}
