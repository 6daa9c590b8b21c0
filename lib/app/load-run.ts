/**
 * Loads what every use case starts from: the run's journal META and its catalog entry. With the attempt
 * the workflow runs (PlanRun's output), META may come from the journal's cache.
 */
import { RunNotFoundError } from '../core/errors.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry, RunMeta } from '../core/run.js';

export async function loadRun(
  deps: Pick<Deps, 'journal' | 'catalog'>,
  runId: string,
  options: { attempt?: number } = {},
): Promise<{ meta: RunMeta; entry: CatalogEntry }> {
  const [meta, entry] = await Promise.all([deps.journal.getRun(runId, options), deps.catalog.get(runId)]);
  if (!meta || !entry) throw new RunNotFoundError(runId);
  return { meta, entry };
}
