/**
 * Interpreter events → AWS history events. A Standard execution holds at most 25,000 history events; the
 * local interpreter (aws-local-stepfunctions) runs the same `run.asl.json` but its `eventLogs` are not AWS
 * history events, so STATE_HISTORY and EXECUTION_HISTORY say which AWS events each interpreter event stands
 * for (history-counter.ts applies them to a real interpreter run; history-projection.ts sizes states with
 * them). Pure data and the state kinds of a definition.
 */

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

/** AWS history event types, in the order AWS records them. */
export type AwsHistoryEvents = readonly string[];

/**
 * The mapping, per state kind: what AWS records when the interpreter reports `StateEntered`, a normal
 * `StateExited`, `StateFailed`, and the `StateExited` that follows a failure caught by a Catch.
 * Sources: the HistoryEvent type list of the Step Functions API reference, and the event sequences the
 * console shows for each integration pattern (e.g. `.waitForTaskToken` adds TaskSubmitted once the
 * invocation has returned, before SendTaskSuccess produces TaskSucceeded).
 */
export const STATE_HISTORY: Readonly<
  Record<
    StateKind,
    {
      entered: AwsHistoryEvents;
      exited: AwsHistoryEvents;
      failed: AwsHistoryEvents;
      exitedAfterFailure: AwsHistoryEvents;
    }
  >
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
export const CHILD_EXECUTION_HISTORY: Readonly<Record<string, AwsHistoryEvents>> = {
  MapIterationStarted: ['ExecutionStarted'],
  MapIterationSucceeded: ['ExecutionSucceeded'],
  MapIterationFailed: ['ExecutionFailed'],
};

/** Interpreter events that stand for AWS events whatever the state (or that have no state). */
export const EXECUTION_HISTORY: Readonly<Record<string, AwsHistoryEvents>> = {
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
