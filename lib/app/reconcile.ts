/**
 * The reconciler (the seed's GC of abandoned sessions): a run that is not terminal but whose engine or
 * execution is gone is marked FAILED with the reason, so it can be resumed (and, on aws, commands whose
 * status events were lost are polled: poll-stale-commands.ts). On aws it runs on a schedule; locally the run
 * check runs at the start of every command, which is why this module does not load what applies results
 * (the plugins and their schemas).
 *
 * It is also the last line of the "no instance left behind" guarantee (reconcileHosts): an ephemeral host
 * whose run ended, or whose run is unknown (PlanRun died before recording it), is terminated once a grace
 * period has passed — unless the run asked to keep its hosts — and terminations seen later are recorded.
 */
import { hostTerminated } from '../core/cloudevents.js';
import { isTerminal } from '../core/controller-state.js';
import { type HostObservation, isHostGone } from '../core/host-lifecycle.js';
import type { Deps, HostStateListener, ManagedHost } from '../core/ports.js';
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

/**
 * How long an ephemeral host may outlive its run (or, for a run the catalog does not know, its launch)
 * before the reconciler terminates it. The PlanRun function runs at most 15 minutes and launches after it
 * starts, so a fleet still being launched, whose run is not in the catalog yet, is never taken for an orphan.
 */
export const HOST_GRACE_MS = 15 * 60 * 1000;

/**
 * The listener every use case hands the host provider: records each observation in the run's journal
 * (`HOST#<instanceId>`, host-lifecycle.ts), logs it, and publishes `host.terminated` for each termination.
 * @example
 * await deps.hosts.release?.(runId, meta.hosts, { reason, onHostState: recordHostStates(deps, runId, 'finalize-run') });
 */
export function recordHostStates(
  deps: Pick<Deps, 'journal' | 'events' | 'logger' | 'target'>,
  runId: string,
  by: string,
): HostStateListener {
  return async (observation: HostObservation) => {
    if (runId !== '') await deps.journal.recordHostState?.(runId, observation);
    const host = { id: observation.instanceId, name: observation.name };
    const fields = { runId, host: host.name, instanceId: host.id, reason: observation.reason, by };
    if (observation.state === 'TERMINATING') {
      deps.logger.info('terminating ephemeral host', fields);
      if (runId !== '') {
        await deps.events.publish([
          hostTerminated({
            runId,
            target: deps.target,
            time: observation.at,
            host,
            reason: observation.reason,
            by,
          }),
        ]);
      }
    } else if (observation.state === 'FAILED') {
      deps.logger.warn('ephemeral host failed', fields);
    }
  };
}

export type HostReconcileReport = {
  /** Hosts the reconciler asked EC2 to terminate, with why. */
  readonly terminated: readonly { runId: string; hostId: string; reason: string }[];
  /** Hosts left running because their run is active or asked to keep them, or the grace period runs. */
  readonly kept: number;
};

/**
 * Terminates orphaned ephemeral hosts: those of a run that ended (FINISHED, FAILED, ABORTED, STOP_FAILED —
 * e.g. after a forced stop, which skips finalize) or that the catalog does not know, once `graceMs` has
 * passed since the run finished (or the host launched). Hosts of active runs and of runs with `keepHosts`
 * are left alone. Idempotent: a host already shutting down is not asked again, and the journal and the
 * `host.terminated` event id are per instance. Terminations EC2 reports meanwhile (finalize's, a spot
 * interruption) complete the journal records.
 */
export async function reconcileHosts(
  deps: Deps,
  options: { readonly graceMs: number },
): Promise<HostReconcileReport> {
  const list = deps.hosts.listManaged?.bind(deps.hosts);
  const terminate = deps.hosts.terminate?.bind(deps.hosts);
  const terminated: { runId: string; hostId: string; reason: string }[] = [];
  let kept = 0;
  if (!list || !terminate) return { terminated, kept };
  let hosts: ManagedHost[];
  try {
    hosts = await list();
  } catch (error) {
    deps.logger.error('listing ephemeral hosts failed', { error: String(error) });
    return { terminated, kept };
  }
  const now = deps.clock.now().getTime();
  const byRun = new Map<string, ManagedHost[]>();
  for (const host of hosts) byRun.set(host.runId, [...(byRun.get(host.runId) ?? []), host]);
  for (const [runId, runHosts] of byRun) {
    try {
      await confirmTerminations(deps, runId, runHosts);
      const active = runHosts.filter((h) => h.status === 'active');
      if (active.length === 0) continue;
      const entry = runId === '' ? undefined : await deps.catalog.get(runId);
      const keep =
        (entry !== undefined && !isTerminal(entry.state)) ||
        (entry !== undefined && (await deps.journal.getRun(runId))?.keepHosts === true);
      const ended = entry ? Date.parse(entry.finishedAt ?? entry.updatedAt) : 0;
      const due = keep
        ? []
        : active.filter((h) => now - Math.max(ended, Date.parse(h.launchedAt)) >= options.graceMs);
      kept += active.length - due.length;
      if (due.length === 0) continue;
      const reason = entry
        ? `orphaned: run ${runId} ended ${entry.state}`
        : `orphaned: run ${runId || '(no fleetbench:run tag)'} is not in the catalog`;
      await terminate(runId, due, { reason, onHostState: recordHostStates(deps, runId, 'reconciler') });
      for (const host of due) {
        deps.logger.warn('terminated an orphaned ephemeral host', {
          runId,
          host: host.name,
          instanceId: host.id,
          reason,
        });
        terminated.push({ runId, hostId: host.id, reason });
      }
    } catch (error) {
      // One run's hosts must not keep the others from being reconciled.
      deps.logger.error('reconciling ephemeral hosts failed', { runId, error: String(error) });
    }
  }
  return { terminated, kept };
}

/** Completes the journal of hosts EC2 reports terminated: FAILED first when fleetbench did not end them. */
async function confirmTerminations(deps: Deps, runId: string, hosts: readonly ManagedHost[]): Promise<void> {
  const gone = hosts.filter((h) => h.status === 'terminated');
  if (runId === '' || gone.length === 0 || !deps.journal.listHostRecords) return;
  const records = new Map((await deps.journal.listHostRecords(runId)).map((r) => [r.instanceId, r]));
  const record = recordHostStates(deps, runId, 'reconciler');
  const at = deps.clock.now().toISOString();
  for (const host of gone) {
    const current = records.get(host.id);
    if (!current || current.state === 'TERMINATED') continue;
    const base = { instanceId: host.id, name: current.name, at };
    if (!isHostGone(current.state) && current.state !== 'FAILED') {
      await record({
        ...base,
        state: 'FAILED',
        reason: `terminated outside fleetbench: ${host.stateReason ?? 'no reason given'}`,
      });
    }
    await record({ ...base, state: 'TERMINATED', reason: host.stateReason ?? 'terminated' });
  }
}
