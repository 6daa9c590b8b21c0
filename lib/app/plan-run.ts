/**
 * PlanRun, the first step of every execution: validate the plan (or load the stored one on resume),
 * resolve the hosts and check they answer (the seed's ConnectivityService), and write the catalog entry
 * and the journal. Its output is all the workflow needs to iterate: the run id and, per workload, the
 * repetitions to run — never the plan itself, which stays in the journal.
 */
import { hostExcluded, runStarted } from '../core/cloudevents.js';
import { isTerminal } from '../core/controller-state.js';
import { RunCannotStartError, RunStateError } from '../core/errors.js';
import { type Plan, planHash, repetitionsOf, validatePlanObject } from '../core/plan.js';
import { plugins } from '../core/plugins/index.js';
import type { Deps } from '../core/ports.js';
import type { Host, RunMeta, TaskRecord } from '../core/run.js';
import { newRunId, taskKey, taskSeed } from '../core/task-key.js';
import { emptyCounts, runnableStatuses } from '../core/task-state.js';
import { changeState } from './controller.js';

export type PlanRunInput = {
  /** A new run: the plan as an object (the CLI has already parsed YAML; the console passes JSON). */
  readonly plan?: unknown;
  readonly runId?: string;
  /** Resume an existing run instead of starting a new one. */
  readonly resume?: { readonly runId: string; readonly onlyFailed?: boolean };
  readonly executionArn?: string;
  /** Local engine identity (`pid@hostname`), so a dead engine can be recognised. */
  readonly engine?: string;
};

export type WorkloadItem = {
  readonly name: string;
  readonly reps: readonly number[];
};

export type PlanRunOutput = {
  readonly runId: string;
  readonly attempt: number;
  readonly workloads: readonly WorkloadItem[];
};

export async function planRun(deps: Deps, input: PlanRunInput): Promise<PlanRunOutput> {
  return input.resume ? resumeExisting(deps, input, input.resume) : startNew(deps, input);
}

/**
 * What the workflow iterates. On resume only the repetitions that still have a task to run are listed,
 * and a workload with none is left out whole (no setup, no teardown): what completed is not touched.
 */
function workloadItems(plan: Plan, tasks?: readonly TaskRecord[], onlyFailed = false): WorkloadItem[] {
  const runnable = runnableStatuses({ onlyFailed });
  const pending =
    tasks && new Set(tasks.filter((t) => runnable.includes(t.status)).map((t) => `${t.workload}#${t.rep}`));
  return plan.workloads
    .map((w) => ({
      name: w.name,
      reps: Array.from({ length: repetitionsOf(plan, w) }, (_, i) => i + 1).filter(
        (rep) => !pending || pending.has(`${w.name}#${rep}`),
      ),
    }))
    .filter((w) => w.reps.length > 0);
}

async function startNew(deps: Deps, input: PlanRunInput): Promise<PlanRunOutput> {
  const plan = validatePlanObject(input.plan, 'plan', plugins);
  const now = deps.clock.now();
  const at = now.toISOString();
  const runId = input.runId ?? newRunId(plan.name, now, Math.random);
  const resolved = await deps.hosts.resolve(runId, plan.hosts);
  const { unreachable } = await deps.hosts.checkConnectivity(resolved);
  const meta: RunMeta = {
    runId,
    plan,
    planHash: planHash(plan),
    target: deps.target,
    hosts: resolved,
    excludedHosts: unreachable,
    attempt: 1,
    createdAt: at,
    updatedAt: at,
  };
  await deps.journal.createRun(meta);
  await deps.catalog.create({
    runId,
    name: plan.name,
    state: 'INIT',
    target: deps.target,
    hosts: resolved.map((h) => h.name),
    workloads: plan.workloads.map((w) => w.name),
    counts: emptyCounts(),
    createdAt: at,
    updatedAt: at,
    ...(input.executionArn ? { executionArn: input.executionArn } : {}),
    ...(input.engine ? { engine: input.engine } : {}),
  });
  await deps.journal.appendState(runId, { at, seq: 1, from: null, to: 'INIT', reason: 'run created' });
  const tasks = buildTasks(runId, plan, resolved);
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
      workloads: plan.workloads.map((w) => w.name),
    }),
  ]);
  await excludeHosts(deps, meta, tasks);
  return { runId, attempt: 1, workloads: workloadItems(plan) };
}

/** Every task of the plan, PENDING. Task keys use host names; seeds derive from (runId, key). */
export function buildTasks(runId: string, plan: Plan, hosts: readonly Host[]): TaskRecord[] {
  const tasks: TaskRecord[] = [];
  for (const w of plan.workloads) {
    for (let rep = 1; rep <= repetitionsOf(plan, w); rep += 1) {
      for (const h of hosts) {
        const key = taskKey(h.name, w.name, rep);
        tasks.push({
          key,
          host: h.name,
          workload: w.name,
          rep,
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
  const meta: RunMeta = {
    ...stored,
    attempt: stored.attempt + 1,
    onlyFailed: resume.onlyFailed === true,
    updatedAt: deps.clock.now().toISOString(),
  };
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
  return { runId, attempt: meta.attempt, workloads: workloadItems(meta.plan, tasks, meta.onlyFailed) };
}
