/**
 * The catalog's task counts, recounted from the journal. A new run starts with counts made from the tasks it
 * writes and steps move them by `ADD` as they close (on-invocation-status); a resume, a failed setup (which
 * skips tasks) and the run's end count every task again, so the counts are exact whenever no step is open.
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
