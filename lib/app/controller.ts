/**
 * Moves a run's controller state: validates the move against the transition table, writes it to the
 * catalog with a condition on the current state, appends the audit record (journal `STATE#`), and
 * publishes the CloudEvent. Every use case changes state through here and nowhere else.
 */
import { runStateChanged } from '../core/cloudevents.js';
import { type ControllerState, transition } from '../core/controller-state.js';
import { ConflictError, RunNotFoundError } from '../core/errors.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry } from '../core/run.js';

type StateDeps = Pick<Deps, 'catalog' | 'journal' | 'events' | 'clock' | 'target'>;

export type StateChange = {
  readonly to: ControllerState;
  readonly reason: string;
  /** Only move when the current state is one of these; otherwise leave it and return the entry unchanged. */
  readonly onlyFrom?: readonly ControllerState[];
  readonly finished?: boolean;
  readonly engine?: string;
};

/**
 * @example
 * await changeState(deps, runId, { to: 'RUNNING_WORKLOADS', reason: 'global setup done' });
 */
export async function changeState(
  deps: StateDeps,
  runId: string,
  change: StateChange,
): Promise<CatalogEntry> {
  for (let attempt = 0; ; attempt += 1) {
    const entry = await deps.catalog.get(runId);
    if (!entry) throw new RunNotFoundError(runId);
    if (entry.state === change.to) return entry;
    if (change.onlyFrom && !change.onlyFrom.includes(entry.state)) return entry;
    transition(entry.state, change.to);
    const at = deps.clock.now().toISOString();
    try {
      await deps.catalog.updateState(runId, entry.state, change.to, {
        reason: change.reason,
        ...(change.finished ? { finishedAt: at } : {}),
        ...(change.to === 'STOP_ARMED' ? { previousState: entry.state } : {}),
        ...(change.engine ? { engine: change.engine } : {}),
      });
    } catch (error) {
      // Someone else moved the state between our read and write: re-read and decide again.
      if (error instanceof ConflictError && attempt < 5) continue;
      throw error;
    }
    const seq = (await deps.journal.listStates(runId)).length + 1;
    await deps.journal.appendState(runId, {
      at,
      seq,
      from: entry.state,
      to: change.to,
      reason: change.reason,
    });
    await deps.events.publish([
      runStateChanged({
        runId,
        target: deps.target,
        time: at,
        from: entry.state,
        to: change.to,
        reason: change.reason,
        seq,
      }),
    ]);
    return { ...entry, state: change.to, updatedAt: at };
  }
}
