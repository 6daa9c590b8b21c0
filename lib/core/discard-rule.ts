/**
 * The discard rule (seed 002's cancel with discard), once for every path that removes runs (`fleetbench rm`
 * on either target, the stack's retention): only a run that has ended may leave the catalog — a run still
 * going on is refused with the command that stops it, never removed under its engine — and a run already
 * removed from the catalog can still be purged of what it left (its journal, events and outputs). The
 * catalog deletes an entry under the condition this rule describes (its state is terminal), so a run
 * resumed between the check and the delete stays.
 */
import { isTerminal } from './controller-state.js';
import { RunNotFoundError, RunStateError, UsageError } from './errors.js';
import type { CatalogEntry, Target } from './run.js';

/** What is known of a run before removing it: its catalog entry, and whether anything else of it is left. */
export type DiscardCandidate = {
  readonly runId: string;
  readonly entry: CatalogEntry | undefined;
  /** Its journal or its files (outputs, events) still exist. */
  readonly leftovers: boolean;
};

/**
 * Refuses the removal of a run that is going on, unknown, or (without `purge`) already removed.
 * @throws RunStateError (a run not ended), RunNotFoundError, UsageError (already removed, without purge)
 * @example
 * assertDiscardable({ runId, entry: await catalog.get(runId), leftovers: false }, { purge: false, target: 'local' });
 */
export function assertDiscardable(
  candidate: DiscardCandidate,
  options: { readonly purge: boolean; readonly target: Target },
): void {
  const { runId, entry, leftovers } = candidate;
  const onAws = options.target === 'aws' ? ' --target aws' : '';
  if (entry !== undefined) {
    if (isTerminal(entry.state)) return;
    throw new RunStateError(
      `run ${runId} is still ${entry.state}: only a run that has ended can be removed`,
      {
        hint: `stop it first with \`fleetbench stop ${runId}${onAws}\`, then remove it`,
      },
    );
  }
  if (!leftovers) throw new RunNotFoundError(runId);
  if (!options.purge) {
    throw new UsageError(
      `run ${runId} was already removed from the catalog; its journal and files are kept`,
      {
        hint: `delete them with \`fleetbench rm ${runId} --purge${onAws}\``,
      },
    );
  }
}

/**
 * Whether a run ended before `cutoff` (the selection of `rm --older-than` and of the stack's retention):
 * only ended runs qualify, and a resumed run counts from its latest end.
 * @example
 * endedBefore(entry, new Date(Date.now() - 30 * 86_400_000)); // true for a run that finished 31 days ago
 */
export function endedBefore(entry: CatalogEntry, cutoff: Date): boolean {
  if (!isTerminal(entry.state)) return false;
  const ended = Date.parse(entry.finishedAt ?? entry.updatedAt);
  return Number.isFinite(ended) && ended < cutoff.getTime();
}
