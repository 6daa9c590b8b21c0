/**
 * What a plan will cost on aws, projected from the plan alone, so `validate` can print it and refuse a
 * plan that cannot run, and the bench (bench/run.ts) can check the projection against measurements:
 *
 * - **History**: a Standard execution holds at most 25,000 history events. The local interpreter
 *   (aws-local-stepfunctions) runs the same `run.asl.json` but its `eventLogs` are not AWS history events,
 *   so STATE_HISTORY and EXECUTION_HISTORY say which AWS events each interpreter event stands for;
 *   `HistoryCounter` applies them to a real interpreter run, and `projectHistory` gives the same counts
 *   from the plan's shape.
 * - **Cost**: every billed request a run makes — state transitions, Lambda invocations and GB-seconds,
 *   DynamoDB request units counted from the use cases' code (`dynamoRequests`), PutEvents entries, S3
 *   requests, logs, traces — times the list prices of AWS_PRICES, the one price table.
 *
 * Pure: no I/O. Counts are for the happy path of a first attempt (no failure, stop or resume).
 */
import { PlanValidationError } from './errors.js';
import { hostCount } from './estimate.js';
import { type Plan, repetitionsOf } from './plan.js';

/** Hard limit of history events in one Standard execution. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** What fleetbench allows one execution to project: the rest is headroom for retries, stops and failures. */
export const HISTORY_EVENT_BUDGET = 20_000;

// ---------------------------------------------------------------------------------------------------------
// Interpreter events → AWS history events
// ---------------------------------------------------------------------------------------------------------

/** The part of an aws-local-stepfunctions `EventLog` the mapping reads. */
export type InterpreterEvent = {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string };
  /** MapIteration* events: the Map state the iteration belongs to. */
  readonly parentState?: { readonly name: string };
  /** The iteration index: for a state inside nested Maps, the interpreter leaves the outermost Map's. */
  readonly index?: number;
  /** MapIterationStarted: the iteration's input; MapIterationSucceeded: its output. */
  readonly input?: unknown;
  readonly output?: unknown;
};

/**
 * How a Task state waits for its resource: `lambda:invoke` returns the function's result
 * (request-response); `.waitForTaskToken` waits for SendTaskSuccess/Failure; `.sync` polls a job.
 */
export type TaskPattern = 'requestResponse' | 'waitForTaskToken' | 'sync';
/** A state as the mapping tells states apart: its ASL type, and for a Task its integration pattern. */
export type StateKind =
  | `Task:${TaskPattern}`
  | 'Pass'
  | 'Choice'
  | 'Wait'
  | 'Succeed'
  | 'Fail'
  | 'Map'
  | 'Map:distributed'
  | 'Parallel';

type Events = readonly string[];

/**
 * The mapping, per state kind: what AWS records when the interpreter reports `StateEntered`, a normal
 * `StateExited`, `StateFailed`, and the `StateExited` that follows a failure caught by a Catch.
 * Sources: the HistoryEvent type list of the Step Functions API reference, and the event sequences the
 * console shows for each integration pattern (e.g. `.waitForTaskToken` adds TaskSubmitted once the
 * invocation has returned, before SendTaskSuccess produces TaskSucceeded).
 */
export const STATE_HISTORY: Readonly<
  Record<StateKind, { entered: Events; exited: Events; failed: Events; exitedAfterFailure: Events }>
> = {
  'Task:requestResponse': {
    entered: ['TaskStateEntered', 'TaskScheduled', 'TaskStarted'],
    exited: ['TaskSucceeded', 'TaskStateExited'],
    failed: ['TaskFailed'],
    exitedAfterFailure: ['TaskStateExited'],
  },
  'Task:waitForTaskToken': {
    entered: ['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted'],
    exited: ['TaskSucceeded', 'TaskStateExited'],
    failed: ['TaskFailed'],
    exitedAfterFailure: ['TaskStateExited'],
  },
  'Task:sync': {
    entered: ['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted'],
    exited: ['TaskSucceeded', 'TaskStateExited'],
    failed: ['TaskFailed'],
    exitedAfterFailure: ['TaskStateExited'],
  },
  Pass: { entered: ['PassStateEntered'], exited: ['PassStateExited'], failed: [], exitedAfterFailure: [] },
  Choice: {
    entered: ['ChoiceStateEntered'],
    exited: ['ChoiceStateExited'],
    failed: [],
    exitedAfterFailure: [],
  },
  Wait: { entered: ['WaitStateEntered'], exited: ['WaitStateExited'], failed: [], exitedAfterFailure: [] },
  Succeed: {
    entered: ['SucceedStateEntered'],
    exited: ['SucceedStateExited'],
    failed: [],
    exitedAfterFailure: [],
  },
  // A Fail state records only its entry; the failure itself is the enclosing MapIterationFailed or ExecutionFailed.
  Fail: { entered: ['FailStateEntered'], exited: [], failed: [], exitedAfterFailure: [] },
  Map: {
    entered: ['MapStateEntered', 'MapStateStarted'],
    exited: ['MapStateSucceeded', 'MapStateExited'],
    failed: ['MapStateFailed'],
    exitedAfterFailure: ['MapStateExited'],
  },
  // A Distributed Map records its Map Run in the parent; each iteration is a child execution with its own
  // history (ExecutionStarted … ExecutionSucceeded), none of it in the parent's.
  'Map:distributed': {
    entered: ['MapStateEntered', 'MapStateStarted', 'MapRunStarted'],
    exited: ['MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited'],
    failed: ['MapRunFailed', 'MapStateFailed'],
    exitedAfterFailure: ['MapStateExited'],
  },
  Parallel: {
    entered: ['ParallelStateEntered', 'ParallelStateStarted'],
    exited: ['ParallelStateSucceeded', 'ParallelStateExited'],
    failed: ['ParallelStateFailed'],
    exitedAfterFailure: ['ParallelStateExited'],
  },
};

/**
 * What a Distributed Map's iteration events stand for: its child execution's start and end, recorded in the
 * child's own history. (The interpreter runs the child inline and reports it as a Map iteration.)
 */
export const CHILD_EXECUTION_HISTORY: Readonly<Record<string, Events>> = {
  MapIterationStarted: ['ExecutionStarted'],
  MapIterationSucceeded: ['ExecutionSucceeded'],
  MapIterationFailed: ['ExecutionFailed'],
};

/** Interpreter events that stand for AWS events whatever the state (or that have no state). */
export const EXECUTION_HISTORY: Readonly<Record<string, Events>> = {
  ExecutionStarted: ['ExecutionStarted'],
  ExecutionSucceeded: ['ExecutionSucceeded'],
  ExecutionFailed: ['ExecutionFailed'],
  ExecutionTerminated: ['ExecutionAborted'],
  MapIterationStarted: ['MapIterationStarted'],
  MapIterationSucceeded: ['MapIterationSucceeded'],
  MapIterationFailed: ['MapIterationFailed'],
  // AWS records no event per Parallel branch, nor for a Catch (it shows as the next state's entry).
  ParallelBranchStarted: [],
  ParallelBranchSucceeded: [],
  ParallelBranchFailed: [],
  StateCaught: [],
};

/** The mapping as documentation rows (docs/performance.md prints them). */
export function historyMappingRows(): { interpreter: string; state: string; aws: string }[] {
  const rows = Object.entries(EXECUTION_HISTORY).map(([interpreter, aws]) => ({
    interpreter,
    state: '—',
    aws: aws.join(', ') || '(none)',
  }));
  for (const [kind, h] of Object.entries(STATE_HISTORY)) {
    rows.push({ interpreter: 'StateEntered', state: kind, aws: h.entered.join(', ') });
    rows.push({ interpreter: 'StateExited', state: kind, aws: h.exited.join(', ') || '(none)' });
    if (h.failed.length > 0) rows.push({ interpreter: 'StateFailed', state: kind, aws: h.failed.join(', ') });
    if (h.exitedAfterFailure.length > 0)
      rows.push({
        interpreter: 'StateExited after StateCaught',
        state: kind,
        aws: h.exitedAfterFailure.join(', '),
      });
  }
  for (const [interpreter, aws] of Object.entries(CHILD_EXECUTION_HISTORY))
    rows.push({
      interpreter,
      state: 'iteration of Map:distributed',
      aws: `${aws.join(', ')} (in the child)`,
    });
  rows.push({
    interpreter: 'StateRetried',
    state: 'Task:*',
    aws: 'the Task entry events but TaskStateEntered (the attempt is scheduled again)',
  });
  return rows;
}

/** The ASL fields the mapping reads. */
export type AslStates = Readonly<
  Record<
    string,
    {
      readonly Type: string;
      readonly Resource?: string;
      readonly ItemProcessor?: {
        readonly States: AslStates;
        readonly ProcessorConfig?: { readonly Mode?: string };
      };
      readonly Iterator?: { readonly States: AslStates };
      readonly Branches?: readonly { readonly States: AslStates }[];
    }
  >
>;

/** Every state name of a definition (at any depth) with its kind. State names are unique in a state machine. */
export function stateKinds(definition: { readonly States: AslStates }): Map<string, StateKind> {
  const kinds = new Map<string, StateKind>();
  const walk = (states: AslStates) => {
    for (const [name, state] of Object.entries(states)) {
      kinds.set(name, kindOf(state.Type, state.Resource, state.ItemProcessor?.ProcessorConfig?.Mode));
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) walk(inner.States);
      for (const branch of state.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition.States);
  return kinds;
}

function kindOf(type: string, resource: string | undefined, mode?: string): StateKind {
  if (type === 'Map' && mode === 'DISTRIBUTED') return 'Map:distributed';
  if (type === 'Task') {
    if (resource?.endsWith('.waitForTaskToken')) return 'Task:waitForTaskToken';
    if (resource !== undefined && /\.sync(:\d+)?$/.test(resource)) return 'Task:sync';
    return 'Task:requestResponse';
  }
  if (type in STATE_HISTORY) return type as StateKind;
  throw new Error(`unknown ASL state type ${type}`);
}

export type HistoryCount = {
  readonly historyEvents: number;
  /** Billed transitions: one per state entered, and one per retry (AWS pricing page). */
  readonly stateTransitions: number;
  readonly byType: Readonly<Record<string, number>>;
};

/** Each state inside a Distributed Map's ItemProcessor (at any depth), with the name of that Map. */
function childStates(states: AslStates, inside?: string, found = new Map<string, string>()) {
  for (const [name, state] of Object.entries(states)) {
    if (inside !== undefined) found.set(name, inside);
    const inner = state.ItemProcessor ?? state.Iterator;
    const distributed = state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
    if (inner) childStates(inner.States, distributed ? name : inside, found);
    for (const branch of state.Branches ?? []) childStates(branch.States, inside, found);
  }
  return found;
}

const isTransition = (event: InterpreterEvent) =>
  event.type === 'StateEntered' || event.type === 'StateRetried';

/** The host an iteration event names: run.asl.json passes `host` into every iteration of a host's execution. */
function hostOf(event: InterpreterEvent): string | undefined {
  const named = (value: unknown) =>
    typeof value === 'object' && value !== null && 'host' in value && typeof value.host === 'string'
      ? value.host
      : undefined;
  return named(event.input) ?? named(event.output);
}

/** One execution's tally. */
class ExecutionTally {
  readonly byType = new Map<string, number>();
  events = 0;
  transitions = 0;

  add(mapped: Events, transition: boolean): void {
    for (const type of mapped) this.byType.set(type, (this.byType.get(type) ?? 0) + 1);
    this.events += mapped.length;
    if (transition) this.transitions += 1;
  }

  count(): HistoryCount {
    return {
      historyEvents: this.events,
      stateTransitions: this.transitions,
      byType: Object.fromEntries([...this.byType].sort(([a], [b]) => a.localeCompare(b))),
    };
  }
}

/**
 * Counts the AWS history of an interpreter run, event by event, per execution. Stateful because a
 * `StateExited` means something else after a caught failure; it tracks states by name within an execution,
 * which is exact for the inline Maps of run.asl.json (their iterations run one at a time).
 *
 * A Distributed Map's iterations are child executions: their events count in the child's history, not the
 * parent's. A state event inside a child carries the child's iteration index (the interpreter leaves the
 * outermost Map's index on nested events). A nested Map's own iteration events do not, so they are
 * attributed by the `host` that run.asl.json passes into every iteration; failing that, to the one child
 * with an iteration of that Map open. Anything else throws rather than miscount.
 * @example
 * const counter = new HistoryCounter(definition);
 * for await (const event of execution.eventLogs) counter.add(event);
 * counter.count(); // { historyEvents: 656, stateTransitions: 109, byType: { TaskSubmitted: 72, … } }
 */
export class HistoryCounter {
  readonly #kinds: Map<string, StateKind>;
  readonly #childStates: Map<string, string>;
  readonly #failed = new Set<string>();
  readonly #parent = new ExecutionTally();
  /** Child executions by iteration index of their Distributed Map. */
  readonly #children = new Map<number, ExecutionTally & { host?: string; open: Map<string, number> }>();
  readonly #byHost = new Map<string, number>();

  constructor(definition: { readonly States: AslStates }) {
    this.#kinds = stateKinds(definition);
    this.#childStates = childStates(definition.States);
  }

  /** The AWS history events one interpreter event stands for (and counts them). */
  add(event: InterpreterEvent): readonly string[] {
    const iterationOf = event.parentState?.name;
    if (iterationOf !== undefined && this.#kinds.get(iterationOf) === 'Map:distributed') {
      return this.#childBoundary(event, iterationOf);
    }
    const owner = event.state?.name ?? iterationOf;
    if (owner === undefined || !this.#childStates.has(owner)) {
      const mapped = this.#map(event, 'parent');
      this.#parent.add(mapped, isTransition(event));
      return mapped;
    }
    const index = event.state !== undefined ? event.index : this.#nestedIterationChild(event, owner);
    const child = index === undefined ? undefined : this.#children.get(index);
    if (index === undefined || child === undefined) {
      throw new Error(`${event.type} of ${owner} cannot be attributed to a child execution`);
    }
    const mapped = this.#map(event, String(index));
    child.add(mapped, isTransition(event));
    return mapped;
  }

  /** Every execution together: what a run is billed for. */
  count(): HistoryCount {
    const all = new ExecutionTally();
    for (const tally of [this.#parent, ...this.#children.values()]) {
      all.events += tally.events;
      all.transitions += tally.transitions;
      for (const [type, n] of tally.byType) all.byType.set(type, (all.byType.get(type) ?? 0) + n);
    }
    return all.count();
  }

  /** The parent execution and each child execution (a Distributed Map iteration), by iteration index. */
  executions(): { readonly parent: HistoryCount; readonly children: readonly HistoryCount[] } {
    const children = [...this.#children].sort(([a], [b]) => a - b).map(([, c]) => c.count());
    return { parent: this.#parent.count(), children };
  }

  #childBoundary(event: InterpreterEvent, map: string): Events {
    const mapped = CHILD_EXECUTION_HISTORY[event.type];
    if (mapped === undefined || event.index === undefined) {
      throw new Error(`no history mapping for ${event.type} of ${map}`);
    }
    if (event.type === 'MapIterationStarted') {
      const host = hostOf(event);
      const child = Object.assign(
        new ExecutionTally(),
        { open: new Map<string, number>() },
        host ? { host } : {},
      );
      this.#children.set(event.index, child);
      if (host !== undefined) this.#byHost.set(host, event.index);
    }
    const child = this.#children.get(event.index);
    if (child === undefined) throw new Error(`${event.type} of ${map} without its start`);
    child.add(mapped, false);
    return mapped;
  }

  /** Which child a nested Map's iteration event belongs to (see the class comment). */
  #nestedIterationChild(event: InterpreterEvent, map: string): number | undefined {
    const host = hostOf(event);
    let index = host === undefined ? undefined : this.#byHost.get(host);
    if (index === undefined) {
      const open = [...this.#children].filter(([, c]) => (c.open.get(map) ?? 0) > 0);
      index = open.length === 1 ? open[0]?.[0] : undefined;
    }
    const child = index === undefined ? undefined : this.#children.get(index);
    if (child !== undefined) {
      const delta = event.type === 'MapIterationStarted' ? 1 : -1;
      child.open.set(map, (child.open.get(map) ?? 0) + delta);
    }
    return index;
  }

  #map(event: InterpreterEvent, execution: string): Events {
    const fixed = EXECUTION_HISTORY[event.type];
    if (fixed !== undefined) return fixed;
    const name = event.state?.name;
    const kind = name === undefined ? undefined : this.#kinds.get(name);
    if (name === undefined || kind === undefined) {
      throw new Error(`no history mapping for ${event.type} of ${name ?? 'no state'}`);
    }
    const h = STATE_HISTORY[kind];
    const key = `${execution}\0${name}`;
    switch (event.type) {
      case 'StateEntered':
        return h.entered;
      case 'StateFailed':
        this.#failed.add(key);
        return h.failed;
      case 'StateExited':
        return this.#failed.delete(key) ? h.exitedAfterFailure : h.exited;
      case 'StateRetried':
        return h.entered.slice(1);
      default:
        throw new Error(`no history mapping for interpreter event ${event.type}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The shape of a run, and its history projected from it
// ---------------------------------------------------------------------------------------------------------

/** What the projections need of a plan: how many hosts, repetitions, and setup/teardown commands. */
export type RunShape = {
  /** Undefined when the plan selects hosts by tag: known only at run time. */
  readonly hosts: number | undefined;
  readonly globalSetup: number;
  readonly globalTeardown: number;
  readonly workloads: readonly { readonly reps: number; readonly setup: number; readonly teardown: number }[];
};

export function runShape(plan: Plan): RunShape {
  const hosts = hostCount(plan);
  return {
    hosts: hosts > 0 ? hosts : undefined,
    globalSetup: plan.setup.length,
    globalTeardown: plan.teardown.length,
    workloads: plan.workloads.map((w) => ({
      reps: repetitionsOf(plan, w),
      setup: w.setup.length,
      teardown: w.teardown.length,
    })),
  };
}

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
export const WORKFLOW_STRATEGIES: readonly Plan['strategy'][] = ['lockstep', 'free'];

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

// ---------------------------------------------------------------------------------------------------------
// Prices and cost
// ---------------------------------------------------------------------------------------------------------

/**
 * List prices, us-east-1, on-demand, without free tiers. Read on 2026-11-23 from the AWS pricing pages
 * named in `source`. The only price table of the project: change prices here.
 */
export const AWS_PRICES = {
  region: 'us-east-1',
  readOn: '2026-11-23',
  items: {
    stateTransition: {
      usd: 0.025 / 1_000,
      unit: 'state transition',
      source: 'aws.amazon.com/step-functions/pricing (Standard)',
    },
    lambdaRequest: { usd: 0.2 / 1_000_000, unit: 'request', source: 'aws.amazon.com/lambda/pricing' },
    lambdaGbSecond: {
      usd: 0.0000133334,
      unit: 'GB-second',
      source: 'aws.amazon.com/lambda/pricing (Arm, first 7.5 billion GB-s)',
    },
    dynamoWrite: {
      usd: 0.625 / 1_000_000,
      unit: 'write request unit',
      source: 'aws.amazon.com/dynamodb/pricing/on-demand (Standard table class)',
    },
    dynamoRead: {
      usd: 0.125 / 1_000_000,
      unit: 'read request unit',
      source: 'aws.amazon.com/dynamodb/pricing/on-demand (Standard table class)',
    },
    eventBridgeEvent: {
      usd: 1 / 1_000_000,
      unit: 'custom event (64 KB chunk)',
      source: 'aws.amazon.com/eventbridge/pricing (AWS service events on the default bus are free)',
    },
    s3Put: { usd: 0.005 / 1_000, unit: 'PUT request', source: 'aws.amazon.com/s3/pricing (S3 Standard)' },
    s3Get: { usd: 0.0004 / 1_000, unit: 'GET request', source: 'aws.amazon.com/s3/pricing (S3 Standard)' },
    logsGb: {
      usd: 0.5,
      unit: 'GB of logs ingested',
      source: 'aws.amazon.com/cloudwatch/pricing (Standard and vended logs, first 10 TB)',
    },
    xrayTrace: { usd: 5 / 1_000_000, unit: 'trace recorded', source: 'aws.amazon.com/xray/pricing' },
    ssmRunCommand: {
      usd: 0,
      unit: 'command invocation',
      source: 'aws.amazon.com/systems-manager/pricing (Run Command on EC2: no charge)',
    },
  },
} as const;

export type PriceKey = keyof typeof AWS_PRICES.items;

/**
 * What the cost projection assumes where the code does not decide. Lambda durations are estimates of
 * warm invocations (API round trips of 10–50 ms), not measurements on aws; item sizes are DynamoDB's
 * size rule applied to the records the repositories write, checked by the bench against dynalite.
 */
export const COST_ASSUMPTIONS = {
  /** FleetbenchFunction's default memory (lib/infra/fleetbench-function.ts). */
  lambdaMemoryMb: 512,
  lambdaMs: {
    planRunBase: 400,
    /** putTasks: BatchWriteItem of 25, 4 in flight, ~10 ms each. */
    planRunPerTask: 0.1,
    runCommandBase: 150,
    /** One SendCommand per batch of 50 hosts. */
    runCommandPerBatch: 60,
    runCommandPerHost: 0.05,
    /** 2 S3 GETs + 3 DynamoDB writes + PutEvents (META and the command spec are cached). */
    onInvocationStatus: 150,
    /** The per-command event: ListCommandInvocations and one command read. */
    onCommandStatus: 80,
    finalizeRunBase: 300,
    finalizeRunPerTask: 0.02,
  },
  /** SSM Run Command: instances per SendCommand (lib/adapters/aws/ssm-command-runner.ts). */
  ssmBatchSize: 50,
  /**
   * Warm containers of the on-invocation-status function sharing a run's status events (round robin).
   * Each reads META once per attempt and a command's spec once per command (the journal caches both:
   * they never change), so the reads of large items grow with containers, not with hosts.
   */
  statusContainers: 10,
  /** SSM uploads stdout and stderr of every invocation to the output bucket. */
  s3PutsPerInvocation: 2,
  /** on-invocation-status reads stdout and stderr of every successful repetition. */
  s3GetsPerRepetitionResult: 2,
  /** START/END/REPORT lines, one Powertools line and one EMF blob per invocation. */
  logBytesPerInvocation: 1_200,
  /** The state machine logs level ALL with execution data (lib/infra/run-workflow.ts). */
  logBytesPerHistoryEvent: 1_000,
  /** X-Ray's default sampling rule keeps 1 request a second and 5% of the rest; bursts make it ~5%. */
  xraySampledFraction: 0.05,
  /**
   * DynamoDB item sizes in bytes (attribute names + values), fitted to the items the bench's aws-path run
   * leaves in dynalite at 10, 100 and 1,000 hosts (bench/lib/aws-path.ts).
   */
  itemBytes: {
    /** A host `{ id: 'i-0123456789abcdef0', name: <same>, address: '10.0.3.7' }` in META's and CMD#'s lists. */
    host: 68,
    /** The instance id again in META's plan snapshot (`hosts.instanceIds`). */
    planHostId: 20,
    /** One host's outcome item `CMDO#<command id>#<instance id>`: keys, host id, `{ status, exitCode, task }`. */
    outcome: 160,
    /** One SSM CommandId in CMD#'s `providerIds`. */
    providerId: 40,
    /** META without hosts: the plan snapshot, its hash, dates. */
    metaBase: 500,
    /** CMD# without task token and provider ids: ids, phase, status, dates, counts. */
    commandBase: 280,
    /** A Step Functions task token, stored on CMD# (the local engine's are 42 bytes). */
    taskToken: 700,
    catalogBase: 300,
    /** A host name in the catalog's `hosts` list. */
    catalogPerHost: 20,
    /** A task written PENDING by putTasks. */
    taskPending: 240,
    /** A task written RUNNING by markRunning. */
    taskRunning: 260,
    /** A COMPLETED task with outputRef (an S3 URL) and two metrics. */
    taskCompleted: 500,
    stateRecord: 190,
  },
} as const;

export type ItemBytes = { readonly [K in keyof typeof COST_ASSUMPTIONS.itemBytes]: number };

/** DynamoDB request units of one kind of request, summed over a run. */
export type DynamoRequest = {
  readonly useCase: string;
  readonly request: string;
  readonly calls: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Write units of the catalog's `byCreatedAt` index (projection ALL: every catalog write is written twice). */
  readonly indexWriteUnits: number;
};

type Step = {
  readonly phase: 'globalSetup' | 'setup' | 'repetition' | 'teardown' | 'globalTeardown';
  /** Whether run-command sends a command (a step without commands is skipped and sends nothing). */
  readonly sends: boolean;
  /** The controller state moves at this step (RUNNING_GLOBAL_SETUP, RUNNING_WORKLOADS, RUNNING_GLOBAL_TEARDOWN). */
  readonly changesState: boolean;
  /** A workload teardown: the ids of the workload's commands it looks up (setup and each repetition). */
  readonly lookups?: { readonly ids: number; readonly found: number };
};

/** The workflow's run-command steps, in order. */
function steps(shape: RunShape): Step[] {
  const list: Step[] = [{ phase: 'globalSetup', sends: shape.globalSetup > 0, changesState: true }];
  shape.workloads.forEach((w, i) => {
    list.push({ phase: 'setup', sends: w.setup > 0, changesState: i === 0 });
    for (let r = 0; r < w.reps; r += 1) list.push({ phase: 'repetition', sends: true, changesState: false });
    list.push({
      phase: 'teardown',
      sends: w.teardown > 0,
      changesState: false,
      lookups: { ids: 1 + w.reps, found: (w.setup > 0 ? 1 : 0) + w.reps },
    });
  });
  list.push({ phase: 'globalTeardown', sends: shape.globalTeardown > 0, changesState: true });
  return list;
}

const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/**
 * Every DynamoDB request a run makes, counted from the use cases (lib/app) and the repositories
 * (lib/adapters/aws/dynamo-*-repo.ts): strongly consistent reads (the repositories always ask for them),
 * 1 read unit per 4 KB and 1 write unit per 1 KB of the larger of the old and new item.
 * No item grows with the fleet while hosts answer: a command's hosts and outcomes are items of their own.
 */
export function dynamoRequests(
  shape: RunShape & { readonly hosts: number },
  itemBytes: ItemBytes = COST_ASSUMPTIONS.itemBytes,
  strategy: Plan['strategy'] = 'lockstep',
): DynamoRequest[] {
  const b = itemBytes;
  const H = shape.hosts;
  const totalTasks = H * shape.workloads.reduce((n, w) => n + w.reps, 0);
  const meta = b.metaBase + H * (b.host + b.planHostId);
  const catalog = b.catalogBase + H * b.catalogPerHost;
  const containers = Math.min(H, COST_ASSUMPTIONS.statusContainers);
  /** A command for `n` hosts: its SSM batches, its `CMD#` summary (with provider ids) and `CMDH#` parts. */
  const commandOf = (n: number) => {
    const batches = Math.ceil(n / COST_ASSUMPTIONS.ssmBatchSize);
    let partUnits = 0;
    for (let first = 0; first < n; first += COST_ASSUMPTIONS.ssmBatchSize) {
      partUnits += writeUnits(Math.min(COST_ASSUMPTIONS.ssmBatchSize, n - first) * b.host);
    }
    return { batches, header: b.commandBase + b.taskToken + batches * b.providerId, partUnits };
  };
  const rows = new Map<string, { calls: number; readUnits: number; writeUnits: number; index: number }>();
  const add = (
    useCase: string,
    request: string,
    units: { r?: number; w?: number; gsi?: number },
    calls = 1,
  ) => {
    const key = `${useCase}\0${request}`;
    const row = rows.get(key) ?? { calls: 0, readUnits: 0, writeUnits: 0, index: 0 };
    row.calls += calls;
    row.readUnits += units.r ?? 0;
    row.writeUnits += units.w ?? 0;
    row.index += units.gsi ?? 0;
    rows.set(key, row);
  };
  /** controller.changeState: read the catalog, move the state, count the audit trail, append to it. */
  let stateRecords = 1;
  const changeState = (useCase: string) => {
    add(useCase, 'changeState: catalog GetItem', { r: readUnits(catalog) });
    add(useCase, 'changeState: catalog UpdateItem state', {
      w: writeUnits(catalog),
      gsi: writeUnits(catalog),
    });
    add(useCase, 'changeState: journal Query STATE#', { r: readUnits(stateRecords * b.stateRecord) });
    add(useCase, 'changeState: journal PutItem STATE#', { w: writeUnits(b.stateRecord) });
    stateRecords += 1;
  };
  const loadRun = (useCase: string, calls = 1) => {
    add(useCase, 'loadRun: journal GetItem META', { r: calls * readUnits(meta) }, calls);
    add(useCase, 'loadRun: catalog GetItem', { r: calls * readUnits(catalog) }, calls);
  };
  let completed = 0;
  const runTasks = () => completed * b.taskCompleted + (totalTasks - completed) * b.taskPending;
  /** recountTasks: every task of the run read back, the counts set on the catalog. */
  const recount = (useCase: string, request: string, times = 1) => {
    add(useCase, `${request} (Query all TASK#)`, { r: times * readUnits(runTasks()) }, times);
    add(useCase, 'catalog UpdateItem counts', { w: writeUnits(catalog), gsi: writeUnits(catalog) });
  };

  // plan-run: META, catalog entry (with the counts), first audit record, every task PENDING (BatchWriteItem,
  // ≥ 1 unit per item).
  add('plan-run', 'journal PutItem META', { w: writeUnits(meta) });
  add('plan-run', 'catalog PutItem', { w: writeUnits(catalog), gsi: writeUnits(catalog) });
  add('plan-run', 'journal PutItem STATE#', { w: writeUnits(b.stateRecord) });
  add(
    'plan-run',
    'journal BatchWriteItem TASK# (PENDING)',
    { w: totalTasks * writeUnits(b.taskPending) },
    Math.ceil(totalTasks / 25),
  );

  let doneCommands = 0;
  let doneHeaders = 0;
  for (const step of steps(shape)) {
    // In free a workload's steps are each host's own: H one-host commands instead of one for the fleet.
    const perHost = strategy === 'free' && step.phase !== 'globalSetup' && step.phase !== 'globalTeardown';
    const commands = perHost ? H : 1;
    const n = perHost ? 1 : H;
    const { batches, header, partUnits } = commandOf(n);
    // run-command: META is read once by each warm container (the journal caches it per attempt): one for
    // lockstep's steps, which follow each other, a pool of them for free's concurrent host steps.
    if (doneCommands === 0 && step.phase === 'globalSetup') {
      const warm = strategy === 'free' ? containers : 1;
      add('run-command', 'journal GetItem META (once per container)', { r: warm * readUnits(meta) }, warm);
    }
    add('run-command', 'loadRun: catalog GetItem', { r: commands * readUnits(catalog) }, commands);
    if (step.changesState) changeState('run-command');
    // A workload setup or teardown that sends reads who failed global setup; a teardown also looks up the
    // workload's commands by id (BatchGetItem: 1 read unit per item found).
    if ((step.phase === 'setup' || step.phase === 'teardown') && step.sends) {
      add(
        'run-command',
        'journal BatchGetItem CMD# (global setup)',
        { r: commands * (shape.globalSetup > 0 ? 1 : 0) },
        commands,
      );
    }
    if (step.phase === 'teardown' && step.sends && step.lookups) {
      const calls = commands * Math.ceil(step.lookups.ids / 100);
      add(
        'run-command',
        "journal BatchGetItem CMD# (the workload's commands)",
        {
          r: commands * step.lookups.found,
        },
        calls,
      );
    }
    if (step.phase === 'repetition') {
      if (perHost) add('run-command', "journal GetItem TASK# (the host's)", { r: commands }, commands);
      else add('run-command', 'journal Query TASK# of the repetition', { r: readUnits(H * b.taskPending) });
    }
    if (!step.sends) continue;
    add('run-command', 'journal PutItem CMD#', { w: commands * writeUnits(header) }, commands);
    add(
      'run-command',
      'journal BatchWriteItem CMDH# (hosts, 50 a part)',
      { w: commands * partUnits },
      commands * Math.ceil(Math.ceil(n / COST_ASSUMPTIONS.ssmBatchSize) / 25),
    );
    if (step.phase === 'repetition') {
      add(
        'run-command',
        'journal BatchWriteItem TASK# (RUNNING)',
        { w: H * writeUnits(b.taskRunning) },
        commands * Math.ceil(n / 25),
      );
    }
    add('run-command', 'journal UpdateItem CMD# providerIds', { w: commands * writeUnits(header) }, commands);

    // on-invocation-status, once per host (per-instance status event), spread over warm containers: each
    // reads a command's spec once (in free every command is new to it), META once per run.
    const specReads = perHost ? commands : containers;
    add(
      'on-invocation-status',
      'journal GetItem CMD# + Query CMDH# (spec, once per container)',
      { r: specReads * (readUnits(header) + readUnits(n * b.host)) },
      2 * specReads,
    );
    if (doneCommands === 0) {
      add(
        'on-invocation-status',
        'journal GetItem META (once per container)',
        { r: containers * readUnits(meta) },
        containers,
      );
    }
    // A repetition's outcomes are its tasks; other steps write one outcome item per host.
    const outcomes = step.phase === 'repetition' ? n * b.taskCompleted : n * b.outcome;
    const outcomesRead =
      step.phase !== 'repetition'
        ? 'Query CMDO#'
        : perHost
          ? "GetItem TASK# (the host's)"
          : 'Query TASK# of the repetition';
    for (let i = 0; i < H; i += 1) {
      if (step.phase === 'repetition') {
        add('on-invocation-status', 'journal UpdateItem TASK# result', { w: writeUnits(b.taskCompleted) });
        completed += 1;
      } else {
        add('on-invocation-status', 'journal PutItem CMDO# (outcome)', { w: writeUnits(b.outcome) });
      }
      add('on-invocation-status', 'journal UpdateItem CMD# answered', { w: writeUnits(header) });
    }
    // ... the last host of each command reads the outcomes (its spec is cached), closes the command and, for
    // a repetition, adds to the counts.
    add(
      'on-invocation-status',
      `completeStep: journal ${outcomesRead}`,
      { r: commands * readUnits(outcomes) },
      commands,
    );
    add(
      'on-invocation-status',
      'completeStep: journal UpdateItem CMD# DONE',
      { w: commands * writeUnits(header) },
      commands,
    );
    add(
      'on-invocation-status',
      'completeStep: catalog GetItem',
      { r: commands * readUnits(catalog) },
      commands,
    );
    if (step.phase === 'repetition') {
      add(
        'on-invocation-status',
        'completeStep: catalog UpdateItem ADD counts',
        { w: commands * writeUnits(catalog), gsi: commands * writeUnits(catalog) },
        commands,
      );
    }
    // the per-command status events (one per SSM command, i.e. per batch) read the command back.
    add(
      'on-invocation-status',
      `command event: journal GetItem CMD# + ${outcomesRead}`,
      { r: commands * batches * (readUnits(header) + readUnits(outcomes)) },
      2 * commands * batches,
    );
    doneCommands += commands;
    doneHeaders += commands * header;
  }

  // finalize-run
  loadRun('finalize-run');
  add('finalize-run', 'journal Query CMD#', { r: readUnits(doneHeaders) });
  add('finalize-run', 'journal Query all TASK# (RUNNING left)', { r: readUnits(runTasks()) });
  recount('finalize-run', 'recountTasks');
  changeState('finalize-run');

  return [...rows].map(([key, row]) => {
    const [useCase = '', request = ''] = key.split('\0');
    return {
      useCase,
      request,
      calls: row.calls,
      readUnits: row.readUnits,
      writeUnits: row.writeUnits,
      indexWriteUnits: row.index,
    };
  });
}

/** Billed quantities of a run, before prices. */
export type RunUsage = {
  readonly hostTasks: number;
  readonly stateTransitions: number;
  readonly historyEvents: number;
  readonly lambda: {
    readonly invocations: Readonly<Record<string, number>>;
    readonly gbSeconds: number;
  };
  readonly dynamo: { readonly readUnits: number; readonly writeUnits: number; readonly requests: number };
  readonly putEventsEntries: number;
  readonly ssmInvocations: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  readonly logBytes: number;
  readonly xrayTraces: number;
};

/**
 * Counts what a run bills (happy path, first attempt). The strategy sets the state transitions and history
 * (free: every host's child execution); every other line is lockstep's request model.
 */
export function projectUsage(
  shape: RunShape & { readonly hosts: number },
  strategy: Plan['strategy'] = 'lockstep',
): RunUsage {
  const a = COST_ASSUMPTIONS;
  const H = shape.hosts;
  const history = projectHistory(shape, strategy);
  if (!history.implemented) throw new Error(history.reason);
  const all = steps(shape);
  const repetitions = all.filter((s) => s.phase === 'repetition').length;
  const hostTasks = H * repetitions;
  // In free a workload's steps are each host's own one-host command; global setup and teardown stay fleet-wide.
  const commands = all.map((step) => {
    const perHost = strategy === 'free' && step.phase !== 'globalSetup' && step.phase !== 'globalTeardown';
    const n = perHost ? 1 : H;
    return { step, count: perHost ? H : 1, hosts: n, batches: Math.ceil(n / a.ssmBatchSize) };
  });
  const sent = commands.filter((c) => c.step.sends);
  const sum = (list: typeof commands, f: (c: (typeof commands)[number]) => number) =>
    list.reduce((n, c) => n + c.count * f(c), 0);
  const invocations = {
    'plan-run': 1,
    'run-command': sum(commands, () => 1),
    // one per-instance event per host and one per-command event per batch, for every command sent
    'on-invocation-status': sum(sent, (c) => c.hosts + c.batches),
    'finalize-run': 1,
  };
  const ms =
    a.lambdaMs.planRunBase +
    a.lambdaMs.planRunPerTask * hostTasks +
    sum(commands, () => a.lambdaMs.runCommandBase) +
    sum(sent, (c) => a.lambdaMs.runCommandPerBatch * c.batches + a.lambdaMs.runCommandPerHost * c.hosts) +
    sum(sent, (c) => c.hosts * a.lambdaMs.onInvocationStatus + c.batches * a.lambdaMs.onCommandStatus) +
    a.lambdaMs.finalizeRunBase +
    a.lambdaMs.finalizeRunPerTask * hostTasks;
  const dynamo = dynamoRequests(shape, COST_ASSUMPTIONS.itemBytes, strategy);
  const invocationCount = Object.values(invocations).reduce((n, x) => n + x, 0);
  // run.started, 4 state changes (3 phases + the final state), task.completed per task, run.finished
  const putEventsEntries = 1 + 4 + hostTasks + 1;
  return {
    hostTasks,
    stateTransitions: history.total.stateTransitions,
    historyEvents: history.total.historyEvents,
    lambda: { invocations, gbSeconds: (a.lambdaMemoryMb / 1024) * (ms / 1000) },
    dynamo: {
      readUnits: dynamo.reduce((n, r) => n + r.readUnits, 0),
      writeUnits: dynamo.reduce((n, r) => n + r.writeUnits + r.indexWriteUnits, 0),
      requests: dynamo.reduce((n, r) => n + r.calls, 0),
    },
    putEventsEntries,
    ssmInvocations: sum(sent, (c) => c.hosts),
    s3Puts: sum(sent, (c) => c.hosts * a.s3PutsPerInvocation),
    s3Gets: hostTasks * a.s3GetsPerRepetitionResult,
    logBytes:
      invocationCount * a.logBytesPerInvocation + history.total.historyEvents * a.logBytesPerHistoryEvent,
    xrayTraces: Math.ceil(invocationCount * a.xraySampledFraction) + 1,
  };
}

export type CostLine = {
  readonly service: string;
  readonly quantity: number;
  readonly price: PriceKey;
  readonly usd: number;
};

export type CostProjection = {
  readonly usage: RunUsage;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly usdPerThousandHostTasks: number;
  /** Not in the total: EC2 time (the hosts are yours), storage, monthly fixed costs, free tiers. */
  readonly excluded: readonly string[];
};

export const COST_EXCLUSIONS: readonly string[] = [
  'EC2 instance time (the hosts run the benchmark, whatever orchestrates it)',
  'storage (DynamoDB, S3, CloudWatch Logs retention) and data transfer',
  'monthly fixed costs: the reconcile schedule (8,640 invocations a month), CloudWatch custom metrics and dashboard',
  'free tiers',
];

/**
 * The cost of a run at list prices.
 * @example
 * const cost = projectCost({ hosts: 1000, globalSetup: 0, globalTeardown: 0, workloads: [{ reps: 5, setup: 0, teardown: 0 }] });
 * cost.usdPerThousandHostTasks; // dollars per 1,000 host-tasks
 */
export function projectCost(
  shape: RunShape & { readonly hosts: number },
  strategy: Plan['strategy'] = 'lockstep',
): CostProjection {
  const usage = projectUsage(shape, strategy);
  const p = AWS_PRICES.items;
  const line = (service: string, quantity: number, price: PriceKey): CostLine => ({
    service,
    quantity,
    price,
    usd: quantity * p[price].usd,
  });
  const lambdaInvocations = Object.values(usage.lambda.invocations).reduce((n, x) => n + x, 0);
  const lines = [
    line('Step Functions state transitions', usage.stateTransitions, 'stateTransition'),
    line('Lambda requests', lambdaInvocations, 'lambdaRequest'),
    line('Lambda duration', usage.lambda.gbSeconds, 'lambdaGbSecond'),
    line('DynamoDB writes', usage.dynamo.writeUnits, 'dynamoWrite'),
    line('DynamoDB reads', usage.dynamo.readUnits, 'dynamoRead'),
    line('EventBridge PutEvents entries', usage.putEventsEntries, 'eventBridgeEvent'),
    line('S3 PUT (SSM output upload)', usage.s3Puts, 's3Put'),
    line('S3 GET (outputs parsed)', usage.s3Gets, 's3Get'),
    line('CloudWatch Logs ingestion', usage.logBytes / 1024 ** 3, 'logsGb'),
    line('X-Ray traces', usage.xrayTraces, 'xrayTrace'),
    line('SSM Run Command invocations', usage.ssmInvocations, 'ssmRunCommand'),
  ];
  const totalUsd = lines.reduce((n, l) => n + l.usd, 0);
  return {
    usage,
    lines,
    totalUsd,
    usdPerThousandHostTasks: usage.hostTasks === 0 ? 0 : (totalUsd / usage.hostTasks) * 1000,
    excluded: COST_EXCLUSIONS,
  };
}
