/**
 * The stack's retention (`runRetention`): the reconciler purges, on each pass, the runs that ended longer
 * ago than the retention — catalog entry, journal, output objects — through the very path of
 * `fleetbench rm --purge` (remove-runs.ts), so a run going on is never touched however old it is, and a
 * run resumed since counts from its latest end. A pass purges a bounded number of runs (each purge is a
 * delete per journal item); the next pass, five minutes later, goes on with the rest.
 */
import type { Deps } from '../core/ports.js';
import { type RemoveRunsDeps, removeRuns, runsEndedBefore } from './remove-runs.js';

/** Runs purged per reconciler pass at most. */
export const RETENTION_BATCH = 10;

/** Who the `run.removed` events of the retention name. */
export const RETENTION_BY = 'retention';

/**
 * @example
 * const { purged } = await purgeExpiredRuns(deps, { retentionSeconds: 30 * 86_400 });
 */
export async function purgeExpiredRuns(
  deps: RemoveRunsDeps & Pick<Deps, 'logger'>,
  options: { readonly retentionSeconds: number; readonly limit?: number },
): Promise<{ readonly purged: readonly string[] }> {
  const cutoff = new Date(deps.clock.now().getTime() - options.retentionSeconds * 1000);
  const expired = await runsEndedBefore(deps, cutoff, { limit: options.limit ?? RETENTION_BATCH });
  const purged: string[] = [];
  for (const runId of expired) {
    try {
      await removeRuns(deps, { runIds: [runId], purge: true, by: RETENTION_BY });
      purged.push(runId);
      deps.logger.info('purged a run past the retention', { runId, cutoff: cutoff.toISOString() });
    } catch (error) {
      // One run (resumed meanwhile, a throttled purge) must not keep the others: the next pass retries it.
      deps.logger.error('purging a run past the retention failed', { runId, error: String(error) });
    }
  }
  return { purged };
}
