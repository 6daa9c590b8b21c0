/**
 * finalize-run: the last step of every execution. It decides the final controller state from what the
 * journal shows and what the workflow caught on the way — FINISHED, FAILED, ABORTED after a stop, or
 * STOP_FAILED when a host never confirmed the stop — settles tasks left without a result, releases
 * ephemeral hosts (terminates what the run provisioned, on every outcome, unless the run keeps its hosts),
 * and publishes `run.finished`.
 */
import { hostKept, runFinished } from '../core/cloudevents.js';
import { isOfAttempt, policyMarkEnding } from '../core/command-id.js';
import { type ControllerState, isStopping } from '../core/controller-state.js';
import { WorkflowErrorName } from '../core/errors.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry, RunMeta, TaskRecord } from '../core/run.js';
import type { TaskCounts } from '../core/task-state.js';
import { changeState } from './controller.js';
import { loadRun } from './load-run.js';
import { recordHostStates } from './reconcile.js';
import { recountTasks } from './task-counts.js';

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
  const commands = (await deps.journal.listCommands(meta.runId)).filter((c) =>
    isOfAttempt(c.commandId, meta.attempt),
  );
  const unconfirmed = commands
    .filter((c) => c.status === 'DONE' && c.cancellable)
    .flatMap((c) => c.silentHosts ?? []);
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
  const tasks = await deps.journal.listTasks(meta.runId);
  const running = tasks.filter((t) => t.status === 'RUNNING');
  if (running.length > 0) {
    await deps.journal.setTasksStatus(
      meta.runId,
      running,
      stopped ? 'CANCELLED' : 'FAILED',
      stopped ? 'stop not confirmed by the host' : 'no result received from the host',
      { onlyIf: ['RUNNING'] },
    );
  }
  const at = deps.clock.now().toISOString();
  const counts = await recountTasks(deps, meta.runId, at);
  // Every step ran, yet tasks are left PENDING that no failure policy ended (a step found nothing to run
  // that it should have): the run did not do what its plan says, so it cannot be FINISHED. Resume runs them.
  const owed = tasks.filter((t) => t.status === 'PENDING' && !endedByPolicy(meta, entry, t)).length;
  if (state === 'FINISHED' && owed > 0 && meta.onlyFailed !== true) {
    state = 'FAILED';
    reason = `${owed} task(s) never ran although every step did; resume with \`fleetbench resume ${meta.runId}\``;
  }
  await releaseHosts(deps, meta, state);
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

/** Whether maxFailedPercent ended the task's workload (on its host, in free) before the task ran. */
function endedByPolicy(meta: RunMeta, entry: CatalogEntry, task: TaskRecord): boolean {
  const step = {
    attempt: meta.attempt,
    phase: 'repetition' as const,
    workload: task.workload,
    rep: task.rep,
    ...(meta.plan.strategy === 'free' ? { host: task.host } : {}),
  };
  return policyMarkEnding(entry.policyFailures ?? [], step) !== undefined;
}

/**
 * Terminates the run's ephemeral hosts, whatever the outcome. A failure here must not keep the run from
 * ending: it is logged, and the reconciler terminates what is left after its grace period. With
 * `keepHosts`, they stay up — said loudly, because they cost money until someone terminates them.
 */
async function releaseHosts(deps: Deps, meta: RunMeta, state: ControllerState): Promise<void> {
  const { runId } = meta;
  if (meta.keepHosts) {
    if (!('provision' in meta.plan.hosts)) return;
    // Hosts left out at PlanRun were terminated then.
    const excluded = new Set(meta.excludedHosts.map((e) => e.host.id));
    const kept = meta.hosts.filter((h) => !excluded.has(h.id));
    const at = deps.clock.now().toISOString();
    deps.logger.warn(
      `KEEPING ${kept.length} EPHEMERAL HOST(S) RUNNING (keepHosts): they cost money until you terminate them`,
      {
        runId,
        hosts: kept.map((h) => h.id),
        terminate: `aws ec2 terminate-instances --instance-ids ${kept.map((h) => h.id).join(' ')}`,
      },
    );
    await deps.events.publish(
      kept.map((host) => hostKept({ runId, target: deps.target, time: at, host, attempt: meta.attempt })),
    );
    return;
  }
  try {
    await deps.hosts.release?.(runId, meta.hosts, {
      reason: `run ${runId} ended ${state}`,
      onHostState: recordHostStates(deps, runId, 'finalize-run'),
    });
  } catch (error) {
    deps.logger.error('releasing the hosts failed: the reconciler will terminate them', {
      runId,
      error: String(error),
    });
  }
}
