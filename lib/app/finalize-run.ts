/**
 * finalize-run: the last step of every execution. It decides the final controller state from what the
 * journal shows and what the workflow caught on the way — FINISHED, FAILED, ABORTED after a stop, or
 * STOP_FAILED when a host never confirmed the stop — settles tasks left without a result, releases
 * ephemeral hosts, and publishes `run.finished`.
 */
import { runFinished } from '../core/cloudevents.js';
import { type ControllerState, isStopping } from '../core/controller-state.js';
import { WorkflowErrorName } from '../core/errors.js';
import type { Deps } from '../core/ports.js';
import { countByStatus, type TaskCounts } from '../core/task-state.js';
import { silentHosts } from './commands.js';
import { changeState } from './controller.js';
import { loadRun } from './load-run.js';

/** What the workflow hands over: the errors its Catch rules stored (`$.error`, `$.teardownError`). */
export type FinalizeInput = {
  readonly runId: string;
  readonly outcome?: {
    readonly error?: { readonly Error?: string; readonly Cause?: string };
    readonly teardownError?: { readonly Error?: string; readonly Cause?: string };
  };
};

export type FinalizeOutput = {
  readonly state: ControllerState;
  readonly counts: TaskCounts;
  readonly reason: string;
};

export async function finalizeRun(deps: Deps, input: FinalizeInput): Promise<FinalizeOutput> {
  const { meta, entry } = await loadRun(deps, input.runId);
  const attemptPrefix = `a${meta.attempt}.`;
  const commands = (await deps.journal.listCommands(meta.runId)).filter((c) =>
    c.commandId.startsWith(attemptPrefix),
  );
  const unconfirmed = commands
    .filter((c) => c.status === 'DONE' && c.cancellable)
    .flatMap((c) => silentHosts(c).map((h) => h.name));
  const stopped = entry.stopRequest !== undefined || isStopping(entry.state);
  const error = input.outcome?.error;

  let state: ControllerState;
  let reason: string;
  if (stopped) {
    state = unconfirmed.length > 0 ? 'STOP_FAILED' : 'ABORTED';
    reason =
      unconfirmed.length > 0
        ? `stop not confirmed by: ${[...new Set(unconfirmed)].join(', ')}`
        : `stopped by ${entry.stopRequest?.requestedBy ?? 'a stop request'}`;
  } else if (error?.Error !== undefined) {
    state = 'FAILED';
    reason =
      error.Error === WorkflowErrorName.FailFast
        ? `fail-fast: ${error.Cause ?? ''}`
        : `${error.Error}: ${error.Cause ?? ''}`;
  } else {
    state = 'FINISHED';
    reason = 'all steps ran';
  }

  // Tasks still RUNNING got no result (host silent after a stop, or the step timed out).
  const running = (await deps.journal.listTasks(meta.runId)).filter((t) => t.status === 'RUNNING');
  if (running.length > 0) {
    await deps.journal.setTasksStatus(
      meta.runId,
      running,
      stopped ? 'CANCELLED' : 'FAILED',
      stopped ? 'stop not confirmed by the host' : 'no result received from the host',
      { onlyIf: ['RUNNING'] },
    );
  }
  await deps.hosts.release?.(meta.runId, meta.hosts);

  const at = deps.clock.now().toISOString();
  const counts = countByStatus(await deps.journal.listTasks(meta.runId));
  await deps.catalog.updateCounts(meta.runId, counts, at);
  await changeState(deps, meta.runId, { to: state, reason, finished: true });
  await deps.events.publish([
    runFinished({
      runId: meta.runId,
      target: deps.target,
      time: at,
      state,
      counts,
      reason,
      attempt: meta.attempt,
    }),
  ]);
  return { state, counts, reason };
}
