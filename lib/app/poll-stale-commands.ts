/**
 * The reconciler's poll of commands whose results never arrived: command status events are best effort,
 * so commands still waiting long after they were sent are polled and their results applied through
 * on-invocation-status, as if the events had come. On aws the scheduled reconciler runs it first.
 */
import { isTerminal } from '../core/controller-state.js';
import type { Deps } from '../core/ports.js';
import { resultsToApply } from './commands.js';
import { onInvocationStatus } from './on-invocation-status.js';

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
    for (const summary of stale) {
      try {
        const command = await deps.journal.getCommand(entry.runId, summary.commandId);
        if (!command) continue;
        polledCommands += 1;
        for (const result of resultsToApply(command, await poll(command))) {
          if ((await onInvocationStatus(deps, result)) !== 'ignored') recoveredResults += 1;
        }
      } catch (error) {
        // One broken command must not keep the others (and the run check) from being reconciled.
        deps.logger.error('polling a stale command failed', {
          runId: entry.runId,
          commandId: summary.commandId,
          error: String(error),
        });
      }
    }
  }
  return { polledCommands, recoveredResults };
}
