/**
 * The AWS history of a real interpreter run, counted event by event with the mapping of
 * history-mapping.ts: what the bench and the projection tests compare projectHistory with.
 */
import {
  type AslStates,
  type AwsHistoryEvents,
  CHILD_EXECUTION_HISTORY,
  EXECUTION_HISTORY,
  type InterpreterEvent,
  STATE_HISTORY,
  type StateKind,
  stateKinds,
} from './history-mapping.js';

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

  add(mapped: AwsHistoryEvents, transition: boolean): void {
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

  #childBoundary(event: InterpreterEvent, map: string): AwsHistoryEvents {
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

  #map(event: InterpreterEvent, execution: string): AwsHistoryEvents {
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
