/**
 * The reconciler (the seed's GC of abandoned sessions): a run that is not terminal but whose engine or
 * execution is gone is marked FAILED with the reason, so it can be resumed; and, because command status
 * events are best effort, commands still waiting long after they were sent are polled and their results
 * applied. On aws it runs on a schedule; locally the run check runs at the start of every command.
 */
import { isTerminal } from '../core/controller-state.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry } from '../core/run.js';
import { changeState } from './controller.js';
import { onInvocationStatus } from './on-invocation-status.js';

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
    // The driver may have finished the run since the catalog was listed: judge only runs still open.
    const current = await deps.catalog.get(entry.runId);
    if (!current || isTerminal(current.state)) continue;
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

/** A command without a result after this long is polled: status events normally arrive within seconds. */
export const STALE_COMMAND_MS = 10 * 60 * 1000;

/** Polls the stale commands of every active run and applies the results whose status events were lost. */
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
          if ((await onInvocationStatus(deps, result)) !== 'ignored') recoveredResults += 1;
        }
      } catch (error) {
        // One broken command must not keep the others (and the run check) from being reconciled.
        deps.logger.error('polling a stale command failed', {
          runId: entry.runId,
          commandId: command.commandId,
          error: String(error),
        });
      }
    }
  }
  return { polledCommands, recoveredResults };
}
