/**
 * PlanRun, the first step of every execution: validate the plan (or load the stored one on resume),
 * resolve the hosts and check they answer (the seed's ConnectivityService), and write the catalog entry
 * and the journal. Its output is all the workflow needs to iterate: the run id, per workload the
 * repetitions to run, the strategy and, for free, the host names — never the plan itself, which stays in the
 * journal.
 *
 * Ephemeral hosts (`hosts: {provision}`) are launched here and never outlive a failure: if the run cannot
 * start, PlanRun terminates them itself (the workflow goes straight to "Run could not start", without
 * Finalize); hosts that launched but cannot take commands are terminated at once and left out.
 */
import { hostExcluded, runStarted } from '../core/cloudevents.js';
import { commandAttempt } from '../core/command-id.js';
import { isTerminal } from '../core/controller-state.js';
import { ConflictError, RunCannotStartError, RunStateError } from '../core/errors.js';
import { type Plan, planHash, validatePlanObject } from '../core/plan.js';
import { plugins } from '../core/plugins/index.js';
import type { Deps, HostStateListener } from '../core/ports.js';
import type { CommandSummary, Host, RunMeta, TaskRecord } from '../core/run.js';
import { newRunId, taskKey, taskSeed } from '../core/task-key.js';
import { countByStatus, runnableStatuses } from '../core/task-state.js';
import { isWarmupRep, planWorkloads, repetitionNumbers } from '../core/workload-variants.js';
import { changeState } from './controller.js';
import { recordHostStates } from './reconcile.js';
import { recountTasks } from './task-counts.js';

export type PlanRunInput = {
  /** A new run: the plan as an object (the CLI has already parsed YAML; the console passes JSON). */
  readonly plan?: unknown;
  readonly runId?: string;
  /** Resume an existing run instead of starting a new one. */
  readonly resume?: { readonly runId: string; readonly onlyFailed?: boolean };
  readonly executionArn?: string;
  /** Local engine identity (`pid@hostname`), so a dead engine can be recognised. */
  readonly engine?: string;
  /** `--keep-hosts`: leave provisioned hosts running when the run ends (stored in RunMeta). */
  readonly keepHosts?: boolean;
};

export type WorkloadItem = {
  readonly name: string;
  readonly reps: readonly number[];
};

export type PlanRunOutput = {
  readonly runId: string;
  readonly attempt: number;
  readonly workloads: readonly WorkloadItem[];
  /** The workflow's Choice between one execution for all hosts (lockstep) and one child execution per host (free). */
  readonly strategy: Plan['strategy'];
  /** What the free strategy's Distributed Map iterates: the names of the hosts that can take commands; empty in lockstep. */
  readonly hosts: readonly string[];
  /** How many hosts run their own sequence at once in free: the plan's `concurrency`, else FREE_HOST_CONCURRENCY. */
  readonly hostConcurrency: number;
};

/**
 * Hosts running at once in free when the plan sets no `concurrency`. Each running host holds a child execution
 * and sends its own SSM commands, so a fleet of thousands would otherwise hit SendCommand's request rate and the
 * account's Lambda concurrency at every step; later hosts start as soon as earlier ones finish.
 */
export const FREE_HOST_CONCURRENCY = 100;

export async function planRun(deps: Deps, input: PlanRunInput): Promise<PlanRunOutput> {
  return input.resume ? resumeExisting(deps, input, input.resume) : startNew(deps, input);
}

/** What the workflow needs besides the workloads; the host list only when free iterates it, to keep the payload small. */
function strategyFields(meta: RunMeta): Pick<PlanRunOutput, 'strategy' | 'hosts' | 'hostConcurrency'> {
  const { strategy, concurrency } = meta.plan;
  if (strategy !== 'free') return { strategy, hosts: [], hostConcurrency: 1 };
  const excluded = new Set(meta.excludedHosts.map((e) => e.host.name));
  const hosts = meta.hosts.map((h) => h.name).filter((name) => !excluded.has(name));
  return {
    strategy,
    hosts,
    hostConcurrency: concurrency ?? Math.max(1, Math.min(hosts.length, FREE_HOST_CONCURRENCY)),
  };
}

/**
 * What the workflow iterates. On resume only the repetitions that still have a task to run are listed,
 * and a workload with none is left out whole (no setup, no teardown): what completed is not touched, except
 * a teardown that started and never finished, which runs again.
 */
function workloadItems(
  plan: Plan,
  tasks?: readonly TaskRecord[],
  onlyFailed = false,
  unfinishedTeardowns: ReadonlySet<string> = new Set(),
): WorkloadItem[] {
  const runnable = runnableStatuses({ onlyFailed });
  const pending =
    tasks && new Set(tasks.filter((t) => runnable.includes(t.status)).map((t) => `${t.workload}#${t.rep}`));
  return planWorkloads(plan)
    .map((w) => ({
      name: w.name,
      reps: repetitionNumbers(w).filter((rep) => !pending || pending.has(`${w.name}#${rep}`)),
    }))
    .filter((w) => w.reps.length > 0 || unfinishedTeardowns.has(w.name));
}

/**
 * Workloads whose teardown started in an earlier attempt and never finished (the engine died during it): it
 * runs again on resume, as a setup does, even when every task of the workload is COMPLETED. run-command
 * decides per host whether that teardown is still owed (teardownOwed) and skips the setup.
 */
function unfinishedTeardowns(commands: readonly CommandSummary[], attempt: number): Set<string> {
  return new Set(
    commands
      .filter(
        (c) =>
          c.phase === 'teardown' &&
          c.status !== 'DONE' &&
          c.workload !== undefined &&
          (commandAttempt(c.commandId) ?? attempt) < attempt,
      )
      .map((c) => c.workload ?? ''),
  );
}

async function startNew(deps: Deps, input: PlanRunInput): Promise<PlanRunOutput> {
  const plan = validatePlanObject(input.plan, 'plan', plugins);
  const now = deps.clock.now();
  const at = now.toISOString();
  const runId = input.runId ?? newRunId(plan.name, now, Math.random);
  if ('provision' in plan.hosts && (await deps.journal.getRun(runId))) {
    // Before launching anything: the same run id would get that run's instances back (same ClientTokens),
    // and the failure that follows would terminate them.
    throw new ConflictError(`run ${runId} already exists`, { hint: 'use a new run id' });
  }
  const onHostState = recordHostStates(deps, runId, 'plan-run');
  const resolved = await deps.hosts.resolve(runId, plan.hosts, { attempt: 1, onHostState });
  try {
    return await recordNewRun(deps, input, { plan, runId, at, resolved, onHostState });
  } catch (error) {
    if ('provision' in plan.hosts) await releaseAfterFailure(deps, runId, resolved, onHostState, error);
    throw error;
  }
}

async function recordNewRun(
  deps: Deps,
  input: PlanRunInput,
  run: {
    plan: Plan;
    runId: string;
    at: string;
    resolved: readonly Host[];
    onHostState: HostStateListener;
  },
): Promise<PlanRunOutput> {
  const { plan, runId, at } = run;
  const resolved = [...run.resolved];
  const { reachable, unreachable } = await deps.hosts.checkConnectivity(resolved);
  if ('provision' in plan.hosts)
    await settleEphemeralHosts(deps, runId, reachable, unreachable, run.onHostState);
  const meta: RunMeta = {
    runId,
    plan,
    planHash: planHash(plan),
    target: deps.target,
    hosts: resolved,
    excludedHosts: unreachable,
    attempt: 1,
    ...(input.keepHosts ? { keepHosts: true } : {}),
    createdAt: at,
    updatedAt: at,
  };
  await deps.journal.createRun(meta);
  const tasks = buildTasks(runId, plan, resolved);
  // The counts the run starts with: every task PENDING but those of unreachable hosts (excludeHosts skips them).
  const excluded = new Set(unreachable.map((u) => u.host.name));
  const counts = countByStatus(tasks.map((t) => (excluded.has(t.host) ? { status: 'SKIPPED' as const } : t)));
  await deps.catalog.create({
    runId,
    name: plan.name,
    state: 'INIT',
    target: deps.target,
    hosts: resolved.map((h) => h.name),
    workloads: planWorkloads(plan).map((w) => w.name),
    counts,
    createdAt: at,
    updatedAt: at,
    ...(input.executionArn ? { executionArn: input.executionArn } : {}),
    ...(input.engine ? { engine: input.engine } : {}),
  });
  await deps.journal.appendState(runId, { at, seq: 1, from: null, to: 'INIT', reason: 'run created' });
  await deps.journal.putTasks(runId, tasks);
  await deps.events.publish([
    runStarted({
      runId,
      target: deps.target,
      time: at,
      name: plan.name,
      planHash: meta.planHash,
      attempt: 1,
      hosts: resolved.map((h) => h.name),
      workloads: planWorkloads(plan).map((w) => w.name),
    }),
  ]);
  await excludeHosts(deps, meta, tasks);
  return { runId, attempt: 1, workloads: workloadItems(plan), ...strategyFields(meta) };
}

/**
 * Ephemeral hosts that launched but cannot take commands are of no use and cost money: they are recorded
 * FAILED with the reason and terminated now (their tasks are skipped like any unreachable host's); the
 * others are IN_USE by the run.
 */
async function settleEphemeralHosts(
  deps: Deps,
  runId: string,
  reachable: readonly Host[],
  unreachable: readonly { host: Host; reason: string }[],
  onHostState: HostStateListener,
): Promise<void> {
  const at = deps.clock.now().toISOString();
  for (const { host, reason } of unreachable)
    await onHostState({ instanceId: host.id, name: host.name, state: 'FAILED', at, reason });
  if (unreachable.length > 0) {
    await deps.hosts.terminate?.(
      runId,
      unreachable.map((u) => u.host),
      { reason: 'not ready to take commands after launch', onHostState },
    );
  }
  for (const host of reachable)
    await onHostState({
      instanceId: host.id,
      name: host.name,
      state: 'IN_USE',
      at,
      reason: `in use by run ${runId}`,
    });
}

/** The run could not start after its hosts were launched: terminate them before reporting the failure. */
async function releaseAfterFailure(
  deps: Deps,
  runId: string,
  hosts: readonly Host[],
  onHostState: HostStateListener,
  cause: unknown,
): Promise<void> {
  try {
    await deps.hosts.release?.(runId, hosts, {
      reason: `run could not start: ${cause instanceof Error ? cause.message : String(cause)}`,
      onHostState,
    });
  } catch (error) {
    deps.logger.error('terminating the hosts of a run that could not start failed: the reconciler will', {
      runId,
      error: String(error),
    });
  }
}

/**
 * Every task of the plan, PENDING: per workload (each variant of a matrix), its warm-ups then its measured
 * repetitions, on every host. Task keys use host names; seeds derive from (runId, key).
 */
export function buildTasks(runId: string, plan: Plan, hosts: readonly Host[]): TaskRecord[] {
  const tasks: TaskRecord[] = [];
  for (const w of planWorkloads(plan)) {
    for (const rep of repetitionNumbers(w)) {
      for (const h of hosts) {
        const key = taskKey(h.name, w.name, rep);
        tasks.push({
          key,
          host: h.name,
          workload: w.name,
          rep,
          ...(isWarmupRep(w, rep) ? { warmup: true } : {}),
          status: 'PENDING',
          attempts: 0,
          seed: taskSeed(runId, key),
        });
      }
    }
  }
  return tasks;
}

/** Unreachable hosts get their tasks SKIPPED with the reason; with no host left (or requireAllHosts), the run fails. */
async function excludeHosts(deps: Deps, meta: RunMeta, tasks: readonly TaskRecord[]): Promise<void> {
  const { runId, plan } = meta;
  const at = deps.clock.now().toISOString();
  for (const { host, reason } of meta.excludedHosts) {
    await deps.journal.setTasksStatus(
      runId,
      tasks.filter((t) => t.host === host.name),
      'SKIPPED',
      reason,
      { onlyIf: ['PENDING', 'FAILED', 'CANCELLED', 'RUNNING'] },
    );
    await deps.events.publish([
      hostExcluded({ runId, target: deps.target, time: at, host, reason, attempt: meta.attempt }),
    ]);
    deps.logger.warn('host excluded', { runId, host: host.name, reason });
  }
  const reachable = meta.hosts.length - meta.excludedHosts.length;
  const fatal =
    reachable === 0
      ? 'no reachable host'
      : plan.requireAllHosts && meta.excludedHosts.length > 0
        ? `requireAllHosts is set and ${meta.excludedHosts.length} host(s) are unreachable: ${meta.excludedHosts.map((e) => e.host.name).join(', ')}`
        : undefined;
  if (fatal) {
    await changeState(deps, runId, { to: 'FAILED', reason: fatal, finished: true });
    throw new RunCannotStartError(`run ${runId} cannot start: ${fatal}`, {
      hint: `see \`fleetbench show ${runId}\``,
    });
  }
}

async function resumeExisting(
  deps: Deps,
  input: PlanRunInput,
  resume: NonNullable<PlanRunInput['resume']>,
): Promise<PlanRunOutput> {
  const { runId } = resume;
  const stored = await deps.journal.getRun(runId);
  const entry = await deps.catalog.get(runId);
  if (!stored || !entry) throw new RunStateError(`run ${runId} has no journal to resume`);
  if (!isTerminal(entry.state)) {
    throw new RunStateError(`run ${runId} is still ${entry.state}`, {
      hint: `wait for it to end, or stop it with \`fleetbench stop ${runId}\``,
    });
  }
  const next: RunMeta = {
    ...stored,
    attempt: stored.attempt + 1,
    onlyFailed: resume.onlyFailed === true,
    updatedAt: deps.clock.now().toISOString(),
  };
  const meta = 'provision' in stored.plan.hosts ? await renewEphemeralHosts(deps, next) : next;
  const renewed = meta.hosts !== stored.hosts;
  try {
    await deps.journal.updateRunForResume(meta);
    // A stop request belongs to the attempt it stopped; the new attempt starts without one.
    await deps.catalog.clearStopRequest(runId);
    await changeState(deps, runId, {
      to: 'INIT',
      reason: `resumed (attempt ${meta.attempt}${meta.onlyFailed ? ', only failed tasks' : ''})`,
      ...(input.engine ? { engine: input.engine } : {}),
    });
    if (input.executionArn || input.engine) {
      await deps.catalog.setExecution(runId, {
        ...(input.executionArn ? { executionArn: input.executionArn } : {}),
        ...(input.engine ? { engine: input.engine } : {}),
      });
    }
    const tasks = await deps.journal.listTasks(runId);
    // A new fleet is checked like a new run's: hosts that cannot take commands are left out, with the reason.
    if (renewed) await excludeHosts(deps, meta, tasks);
    await recountTasks(deps, runId, meta.updatedAt);
    return {
      runId,
      attempt: meta.attempt,
      workloads: workloadItems(
        meta.plan,
        tasks,
        meta.onlyFailed,
        unfinishedTeardowns(await deps.journal.listCommands(runId), meta.attempt),
      ),
      ...strategyFields(meta),
    };
  } catch (error) {
    if (renewed)
      await releaseAfterFailure(deps, runId, meta.hosts, recordHostStates(deps, runId, 'plan-run'), error);
    throw error;
  }
}

/**
 * Ephemeral hosts on resume. Kept ones (`keepHosts`, or a resume within the reconciler's grace period) that
 * still take commands are used again; otherwise whatever is left of the old fleet is terminated and a new
 * one launched for this attempt. Its hosts get the same names, so their tasks continue where the old ones
 * stopped.
 */
async function renewEphemeralHosts(deps: Deps, meta: RunMeta): Promise<RunMeta> {
  const { runId } = meta;
  const onHostState = recordHostStates(deps, runId, 'plan-run');
  const excluded = new Set(meta.excludedHosts.map((e) => e.host.id));
  const current = meta.hosts.filter((h) => !excluded.has(h.id));
  const reusable =
    current.length > 0 &&
    (await deps.hosts.checkConnectivity(current).then(
      ({ unreachable }) => unreachable.length === 0,
      // Instances terminated long ago are unknown to EC2: nothing to reuse.
      () => false,
    ));
  if (reusable) {
    deps.logger.info('resume uses the hosts the run kept', { runId, hosts: current.map((h) => h.id) });
    return meta;
  }
  await deps.hosts.release?.(runId, meta.hosts, {
    reason: `replaced by a new fleet for attempt ${meta.attempt}`,
    onHostState,
  });
  const hosts = await deps.hosts.resolve(runId, meta.plan.hosts, { attempt: meta.attempt, onHostState });
  try {
    const { reachable, unreachable } = await deps.hosts.checkConnectivity(hosts);
    await settleEphemeralHosts(deps, runId, reachable, unreachable, onHostState);
    return { ...meta, hosts, excludedHosts: unreachable };
  } catch (error) {
    await releaseAfterFailure(deps, runId, hosts, onHostState, error);
    throw error;
  }
}
