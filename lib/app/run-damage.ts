/**
 * The journal checked against what a run leaves beside it. Every run also writes its META (`run.json`) and
 * its CloudEvents (`events.jsonl`) next to its outputs; those files survive a damaged database, so they
 * tell whether the journal lost something: a run it does not know, a run whose end it forgot
 * (rebuild-run.ts rebuilds them). Every local command checks this when it opens the engine, so this module
 * stays apart from what reads plans (zod) and rebuilds tasks.
 */
import { type CloudEvent, EVENT_TYPES } from '../core/cloudevents.js';
import { isTerminal } from '../core/controller-state.js';
import type { Deps } from '../core/ports.js';
import type { RunMeta } from '../core/run.js';

/** What a run left on disk, as the local target keeps it under `<dataDir>/runs/<runId>/`. */
export type RunFiles = {
  /** Ids of the runs with an events file, but not those removed from the catalog on purpose (`rm`). */
  list(): Promise<string[]>;
  events(runId: string): Promise<CloudEvent[]>;
  meta(runId: string): Promise<RunMeta | undefined>;
};

/** A run the journal lost (part of), and whether its files allow rebuilding it. */
export type RunDamage = { readonly runId: string; readonly problem: string; readonly rebuildable: boolean };

/**
 * The runs whose files say more than the journal: on disk but not in the catalog, or finished (their last
 * attempt's `run.finished` event) while the catalog still has them going on.
 * @example
 * const damage = await findRunDamage(deps, files);
 * if (damage.length > 0) throw new DatabaseDamagedError(...);
 */
export async function findRunDamage(
  deps: Pick<Deps, 'journal' | 'catalog'>,
  files: RunFiles,
): Promise<RunDamage[]> {
  const onDisk = await files.list();
  if (onDisk.length === 0) return [];
  // One listing finds most; a run it leaves out (the catalog holds more runs than the disk) is read alone.
  const listed = new Map((await deps.catalog.list({ limit: onDisk.length })).map((e) => [e.runId, e]));
  const entries = await Promise.all(onDisk.map((runId) => listed.get(runId) ?? deps.catalog.get(runId)));
  const damage: RunDamage[] = [];
  for (const [i, runId] of onDisk.entries()) {
    const entry = entries[i];
    if (entry === undefined) {
      const events = await files.events(runId);
      // A run being created right now writes its catalog entry before its first event.
      if (!events.some((e) => e.type === EVENT_TYPES.runStarted)) continue;
      // Its events were read after the catalog: a run created in between is in the catalog now.
      if ((await deps.catalog.get(runId)) !== undefined) continue;
      const rebuildable = (await files.meta(runId)) !== undefined;
      damage.push({ runId, problem: 'is on disk but not in the catalog', rebuildable });
      continue;
    }
    if (isTerminal(entry.state)) continue;
    const finished = lastFinished(await files.events(runId));
    if (finished === undefined) continue;
    // A run records its end in the catalog before its event: one that ended after the catalog was read
    // (another engine's, right now) is terminal in a read made after its events.
    const now = await deps.catalog.get(runId);
    if (now === undefined || isTerminal(now.state)) continue;
    const meta = await deps.journal.getRun(runId);
    // A resume writes its new attempt to META before it moves the catalog on.
    if (meta !== undefined && meta.attempt > Number(finished.data.attempt)) continue;
    damage.push({
      runId,
      problem: `ended ${String(finished.data.state)} (its events) but the catalog says ${now.state}`,
      rebuildable: (await files.meta(runId)) !== undefined,
    });
  }
  return damage;
}

function lastFinished(events: readonly CloudEvent[]): CloudEvent | undefined {
  const runLevel = events.filter(
    (e) => e.type === EVENT_TYPES.runFinished || e.type === EVENT_TYPES.runStarted,
  );
  const last = runLevel.at(-1);
  return last?.type === EVENT_TYPES.runFinished ? last : undefined;
}
