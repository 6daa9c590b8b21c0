/**
 * The reconciler (the seed's GC of abandoned sessions): a run that is not terminal but whose engine or
 * execution is gone is marked FAILED with the reason, so it can be resumed. On aws it runs on a schedule
 * with an execution check; locally it runs at the start of every command with a process check.
 */
import { isTerminal } from '../core/controller-state.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry } from '../core/run.js';
import { changeState } from './controller.js';

export type ReconcileOptions = {
  /** Whether whatever drives the run (local engine process, Step Functions execution) is still alive. */
  readonly isDriverAlive: (entry: CatalogEntry) => Promise<boolean | undefined>;
  readonly limit?: number;
};

export type ReconcileReport = { readonly failed: readonly { runId: string; reason: string }[] };

export async function reconcileRuns(deps: Deps, options: ReconcileOptions): Promise<ReconcileReport> {
  const failed: { runId: string; reason: string }[] = [];
  for (const entry of await deps.catalog.list({ limit: options.limit ?? 100 })) {
    if (isTerminal(entry.state)) continue;
    const alive = await options.isDriverAlive(entry);
    // undefined: not ours to judge (another machine's engine), leave it.
    if (alive !== false) continue;
    const reason = `${entry.engine ? `engine ${entry.engine}` : `execution ${entry.executionArn ?? ''}`} is gone; resume with \`fleetbench resume ${entry.runId}\``;
    await changeState(deps, entry.runId, { to: 'FAILED', reason, finished: true });
    deps.logger.warn('abandoned run marked FAILED', { runId: entry.runId, reason });
    failed.push({ runId: entry.runId, reason });
  }
  return { failed };
}

/** The local check: an engine is `pid@hostname`; on this machine, a dead pid means a dead engine. */
export async function reconcileLocalRuns(
  deps: Deps,
  options: { thisHost: string; isPidAlive: (pid: number) => boolean },
): Promise<ReconcileReport> {
  return reconcileRuns(deps, {
    isDriverAlive: async (entry) => {
      const match = /^(\d+)@(.+)$/.exec(entry.engine ?? '');
      if (!match || match[2] !== options.thisHost) return undefined;
      return options.isPidAlive(Number(match[1]));
    },
  });
}
