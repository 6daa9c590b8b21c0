/**
 * The one stop path (the seed's StopCoordinator). `requestStop` records the request once — from
 * `fleetbench stop`, the second Ctrl+C, or the EventBridge `Stop Requested` event — and `coordinateStop`
 * acts on it where the commands run: it moves the controller to the matching STOPPING state, cancels the
 * cancellable commands in flight (never a teardown), waits up to `timeouts.stop` for every host to confirm,
 * and fails the waiting workflow step with Fleetbench.StopRequested so the ASL runs the teardowns.
 */
import { runStopRequested } from '../core/cloudevents.js';
import { isOfAttempt } from '../core/command-id.js';
import { type ControllerState, isTerminal, stoppingStateFor } from '../core/controller-state.js';
import { WorkflowErrorName } from '../core/errors.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry, CommandRecord, StopRequest } from '../core/run.js';
import { assertStoppable } from '../core/stop-rule.js';
import { failedHostNames, silentHosts } from './commands.js';
import { changeState } from './controller.js';
import { loadRun } from './load-run.js';
import { recountTasks } from './task-counts.js';

export type StopInput = {
  readonly runId: string;
  readonly requestedBy: string;
  readonly reason?: string;
  readonly force?: boolean;
};

export type StopRequestResult = {
  /** False when a stop had already been requested: the first request is kept unchanged. */
  readonly recorded: boolean;
  readonly request: StopRequest;
  readonly entry: CatalogEntry;
};

/**
 * @example
 * const { recorded } = await requestStop(deps, { runId, requestedBy: 'cli:alice' });
 */
export async function requestStop(
  deps: Pick<Deps, 'catalog' | 'events' | 'clock' | 'target'>,
  input: StopInput,
): Promise<StopRequestResult> {
  const entry = await deps.catalog.get(input.runId);
  assertStoppable(input.runId, entry, 'local');
  const request: StopRequest = {
    requestedAt: deps.clock.now().toISOString(),
    requestedBy: input.requestedBy,
    reason: input.reason ?? 'stop requested',
    force: input.force === true,
  };
  const recorded = await deps.catalog.requestStop(input.runId, request);
  if (!recorded) {
    const current = await deps.catalog.get(input.runId);
    return { recorded, request: current?.stopRequest ?? request, entry: current ?? entry };
  }
  await deps.events.publish([
    runStopRequested({ runId: input.runId, target: deps.target, time: request.requestedAt, request }),
  ]);
  return { recorded, request, entry: { ...entry, stopRequest: request } };
}

export type StopCoordination = {
  /** Hosts that never confirmed the stop within `timeouts.stop`: the run ends STOP_FAILED naming them. */
  readonly unconfirmed: readonly string[];
  readonly cancelledCommands: readonly string[];
};

/** How often the coordinator re-reads the commands while waiting for confirmations. */
const CONFIRM_POLL_MS = 100;

/**
 * @param options.maxWaitMs how long the caller can wait at most (the stop Lambda's remaining time, less
 *   what closing the commands takes): hosts still silent then are reported unconfirmed even when
 *   `timeouts.stop` is longer — a Lambda killed at its limit would record nothing, and its retry would
 *   wait again from the start.
 */
export async function coordinateStop(
  deps: Deps,
  runId: string,
  options: { readonly maxWaitMs?: number } = {},
): Promise<StopCoordination> {
  const { meta, entry } = await loadRun(deps, runId);
  const from: ControllerState | undefined = entry.state === 'STOP_ARMED' ? entry.previousState : entry.state;
  const stopping = from === undefined ? undefined : stoppingStateFor(from);
  if (stopping) {
    await changeState(deps, runId, {
      to: stopping,
      reason:
        `stop requested by ${entry.stopRequest?.requestedBy ?? 'unknown'}: ${entry.stopRequest?.reason ?? ''}`.trim(),
    });
  }
  const inFlight = await openCommands(
    deps,
    runId,
    (await deps.journal.listCommands(runId)).filter(
      (c) => c.status === 'SENT' && c.cancellable && isOfAttempt(c.commandId, meta.attempt),
    ),
  );
  for (const command of inFlight) await deps.runner.cancel(command, silentHosts(command));

  const deadline =
    deps.clock.now().getTime() + Math.min(meta.plan.timeouts.stop * 1000, options.maxWaitMs ?? Infinity);
  let open = inFlight;
  while (open.length > 0 && deps.clock.now().getTime() < deadline) {
    await deps.clock.sleep(CONFIRM_POLL_MS);
    open = await openCommands(deps, runId, open);
  }
  const unconfirmed: string[] = [];
  for (const command of open) {
    const silent = silentHosts(command).map((h) => h.name);
    const found = { failedHosts: [...failedHostNames(command)], silentHosts: silent };
    if (!(await deps.journal.closeCommand(runId, command.commandId, deps.clock.now().toISOString(), found)))
      continue;
    unconfirmed.push(...silent);
    deps.logger.warn('hosts did not confirm the stop', {
      runId,
      commandId: command.commandId,
      hosts: silent,
    });
    await deps.callbacks.failure(
      command.taskToken,
      WorkflowErrorName.StopRequested,
      `stop not confirmed within ${meta.plan.timeouts.stop}s by: ${silent.join(', ')}`,
    );
  }
  return { unconfirmed, cancelledCommands: inFlight.map((c) => c.commandId) };
}

/** The commands, read again with their hosts and outcomes, that are still waiting for hosts. */
async function openCommands(
  deps: Pick<Deps, 'journal'>,
  runId: string,
  commands: readonly Pick<CommandRecord, 'commandId'>[],
): Promise<CommandRecord[]> {
  const current = await Promise.all(commands.map((c) => deps.journal.getCommand(runId, c.commandId)));
  return current.filter((c): c is CommandRecord => c !== undefined && c.status === 'SENT');
}

/**
 * Ends a force-stopped run ABORTED. Its execution is gone (StopExecution on aws, aborted locally), so no
 * Finalize step will run: tasks still RUNNING become CANCELLED and the counts are refreshed. A run that
 * ended meanwhile is left as it is.
 */
export async function settleForcedStop(deps: Deps, runId: string): Promise<void> {
  const entry = await deps.catalog.get(runId);
  if (!entry || isTerminal(entry.state)) return;
  const running = (await deps.journal.listTasks(runId)).filter((t) => t.status === 'RUNNING');
  await deps.journal.setTasksStatus(runId, running, 'CANCELLED', 'killed by a force stop', {
    onlyIf: ['RUNNING'],
  });
  await recountTasks(deps, runId, deps.clock.now().toISOString());
  await changeState(deps, runId, {
    to: 'ABORTED',
    reason: `force-stopped by ${entry.stopRequest?.requestedBy ?? 'unknown'}; teardown skipped`,
    finished: true,
  });
}
