/**
 * The scheduled reconciler (every 5 minutes). SSM status events are best effort, so it first polls
 * commands still SENT after 10 minutes and feeds their results to on-invocation-status; then it fails runs
 * whose Step Functions execution is gone (reconcileRuns), so they can be resumed.
 */
import { onInvocationStatus } from '../lib/app/on-invocation-status.js';
import { reconcileRuns } from '../lib/app/reconcile.js';
import { isTerminal } from '../lib/core/controller-state.js';
import type { Deps } from '../lib/core/ports.js';
import type { CatalogEntry } from '../lib/core/run.js';
import { type AwsRuntime, awsRuntime, lambda, logger } from './runtime.js';

/** A command without a result after this long is polled: status events normally arrive within seconds. */
export const STALE_COMMAND_MS = 10 * 60 * 1000;

export type ReconcileResult = {
  readonly polledCommands: number;
  readonly recoveredResults: number;
  readonly failedRuns: readonly { runId: string; reason: string }[];
};

/** Polls the stale commands of every active run and applies the results the status events lost. */
export async function pollStaleCommands(
  deps: Deps,
  options: { readonly olderThanMs: number },
): Promise<{ polledCommands: number; recoveredResults: number }> {
  const poll = deps.runner.poll?.bind(deps.runner);
  if (!poll) return { polledCommands: 0, recoveredResults: 0 };
  const now = deps.clock.now().getTime();
  let polledCommands = 0;
  let recoveredResults = 0;
  for (const entry of await deps.catalog.list({ limit: 100 })) {
    if (isTerminal(entry.state)) continue;
    const stale = (await deps.journal.listCommands(entry.runId)).filter(
      (c) =>
        c.status === 'SENT' && c.providerIds.length > 0 && now - Date.parse(c.sentAt) >= options.olderThanMs,
    );
    for (const command of stale) {
      try {
        polledCommands += 1;
        for (const result of await poll(command)) {
          if (command.outcomes[result.hostId] !== undefined) continue;
          const outcome = await onInvocationStatus(deps, result);
          if (outcome !== 'ignored') recoveredResults += 1;
        }
      } catch (error) {
        // One broken command must not keep the others (and the run check below) from being reconciled.
        logger.error('polling a stale command failed', {
          runId: entry.runId,
          commandId: command.commandId,
          error,
        });
      }
    }
  }
  return { polledCommands, recoveredResults };
}

export function createReconcileHandler(runtime: () => Pick<AwsRuntime, 'deps' | 'executions'>) {
  return async (): Promise<ReconcileResult> => {
    const { deps, executions } = runtime();
    const polled = await pollStaleCommands(deps, { olderThanMs: STALE_COMMAND_MS });
    const report = await reconcileRuns(deps, {
      isDriverAlive: async (entry: CatalogEntry) => {
        const alive = await executions.isDriverAlive(entry);
        if (alive !== false) return alive;
        // The execution may have finalized the run since the catalog was listed: judge only runs still open.
        const current = await deps.catalog.get(entry.runId);
        return current && !isTerminal(current.state) ? false : undefined;
      },
    });
    const result = { ...polled, failedRuns: report.failed };
    logger.info('reconciled', result);
    return result;
  };
}

export const handler = lambda(createReconcileHandler(awsRuntime));
