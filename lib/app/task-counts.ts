/**
 * The catalog's task counts, recounted from the journal. Steps move the counts by `ADD` as they close
 * (on-invocation-status); a run's start, a failed setup (which skips tasks) and its end count every task
 * again, so the counts are exact whenever the run is not mid-step.
 */
import type { Deps } from '../core/ports.js';
import { countByStatus, type TaskCounts } from '../core/task-state.js';

/**
 * @example
 * const counts = await recountTasks(deps, runId, deps.clock.now().toISOString());
 */
export async function recountTasks(
  deps: Pick<Deps, 'journal' | 'catalog'>,
  runId: string,
  at: string,
): Promise<TaskCounts> {
  const counts = countByStatus(await deps.journal.listTasks(runId));
  await deps.catalog.updateCounts(runId, counts, at);
  return counts;
}
