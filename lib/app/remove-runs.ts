/**
 * Removing runs (seed 002's cancel with discard), for `fleetbench rm` on both targets and the stack's
 * retention: a run that has ended leaves the catalog, so `runs`, `show` and `resume` no longer know it; with
 * `purge` its journal, events and outputs are deleted too, otherwise they stay where they are (the seed's
 * orphaned directory, kept on purpose). A run still going on is never removed (lib/core/discard-rule.ts).
 *
 * Every id is checked before anything is removed, so one refused id leaves all of them in place. The removal
 * itself is the catalog's conditional delete (its state still terminal): a run resumed in between stays, and
 * is reported. The purge comes after it — nothing writes to a run the catalog no longer holds — journal first,
 * then the files, so a purge cut short (a crash, throttling) is finished by running it again.
 */
import { runRemoved } from '../core/cloudevents.js';
import type { ControllerState } from '../core/controller-state.js';
import { assertDiscardable, type DiscardCandidate, endedBefore } from '../core/discard-rule.js';
import { ConflictError, RunNotFoundError, RunStateError } from '../core/errors.js';
import type { Deps, RunArtifacts } from '../core/ports.js';

export type RemoveRunsDeps = Pick<Deps, 'journal' | 'catalog' | 'events' | 'clock' | 'target'> & {
  readonly artifacts: RunArtifacts;
};

export type RemoveRunsInput = {
  readonly runIds: readonly string[];
  /** Also delete the journal, events and outputs. */
  readonly purge: boolean;
  /** Who removes them (`cli:<user>`, `retention`), for the `run.removed` event. */
  readonly by: string;
};

export type RemovedRun = {
  readonly runId: string;
  /** The state it had ended in; null when an earlier removal had already taken it out of the catalog. */
  readonly state: ControllerState | null;
  readonly purged: boolean;
  /** Journal items deleted (0 without purge). */
  readonly journalItems: number;
  /** Files (locally) or objects (S3) deleted (0 without purge). */
  readonly files: number;
};

/**
 * Removes the runs, all or none of them: every id is checked first.
 * @throws RunStateError (a run going on), RunNotFoundError, UsageError (already removed, without purge)
 * @example
 * const removed = await removeRuns(deps, { runIds: ['cpu-20260101-120000-ab12'], purge: true, by: 'cli:alice' });
 */
export async function removeRuns(deps: RemoveRunsDeps, input: RemoveRunsInput): Promise<RemovedRun[]> {
  const runIds = [...new Set(input.runIds)];
  const candidates = await Promise.all(runIds.map((runId) => candidateOf(deps, runId)));
  for (const candidate of candidates)
    assertDiscardable(candidate, { purge: input.purge, target: deps.target });
  const removed: RemovedRun[] = [];
  for (const candidate of candidates) {
    try {
      removed.push(await removeOne(deps, candidate, input));
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const done =
        removed.length > 0 ? ` (removed before it: ${removed.map((r) => r.runId).join(', ')})` : '';
      throw new RunStateError(
        `run ${candidate.runId} was resumed while it was being removed: it stays${done}`,
        {
          hint: `stop it first with \`fleetbench stop ${candidate.runId}${deps.target === 'aws' ? ' --target aws' : ''}\``,
          cause: error,
        },
      );
    }
  }
  return removed;
}

/**
 * The runs that ended before `cutoff`, oldest first (`rm --older-than`, the retention): runs going on are
 * never among them, however old.
 * @example
 * const old = await runsEndedBefore(deps, new Date(Date.now() - 30 * 86_400_000));
 */
export async function runsEndedBefore(
  deps: Pick<Deps, 'catalog'>,
  cutoff: Date,
  options: { readonly limit?: number } = {},
): Promise<string[]> {
  // A run ends after it is created: those created since the cutoff cannot have ended before it.
  const created = await deps.catalog.listCreatedBefore(cutoff.toISOString());
  const ended = created.filter((entry) => endedBefore(entry, cutoff)).map((entry) => entry.runId);
  return options.limit === undefined ? ended : ended.slice(0, options.limit);
}

async function candidateOf(deps: RemoveRunsDeps, runId: string): Promise<DiscardCandidate> {
  const entry = await deps.catalog.get(runId);
  if (entry !== undefined) return { runId, entry, leftovers: true };
  const meta = await deps.journal.getRun(runId);
  const leftovers = meta !== undefined || (await deps.artifacts.exists(runId));
  return { runId, entry, leftovers };
}

async function removeOne(
  deps: RemoveRunsDeps,
  { runId, entry }: DiscardCandidate,
  input: RemoveRunsInput,
): Promise<RemovedRun> {
  const at = deps.clock.now().toISOString();
  if (entry !== undefined) {
    // The note goes first: from the moment the entry is gone, a damage check elsewhere must see it.
    await deps.artifacts.markRemoved?.(runId, { at, by: input.by });
    try {
      await deps.catalog.deleteEnded(runId);
    } catch (error) {
      // Another removal won: the run is out of the catalog, as asked.
      if (!(error instanceof RunNotFoundError)) {
        await deps.artifacts.unmarkRemoved?.(runId);
        throw error;
      }
    }
  }
  await deps.events.publish([
    runRemoved({
      runId,
      target: deps.target,
      time: at,
      purged: input.purge,
      by: input.by,
      ...(entry ? { state: entry.state } : {}),
    }),
  ]);
  const state = entry?.state ?? null;
  if (!input.purge) return { runId, state, purged: false, journalItems: 0, files: 0 };
  const journalItems = await deps.journal.deleteRun(runId);
  const files = await deps.artifacts.purge(runId);
  return { runId, state, purged: true, journalItems, files };
}
