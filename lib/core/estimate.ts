/**
 * The dry-run estimate `validate` prints: how many tasks a plan makes and roughly how long it takes.
 * Lockstep runs every host of a repetition together, so time grows with repetitions and host waves, not hosts.
 */
import type { Plan } from './plan.js';
import { plugins } from './plugins/index.js';
import { runWorkloads } from './workload-variants.js';

export type PlanEstimate = {
  /** Workloads the run runs: a workload with a matrix counts once per variant. */
  readonly workloads: number;
  readonly hosts: number;
  /** Every task, warm-ups included. */
  readonly tasks: number;
  /** The tasks of warm-up repetitions (journaled, left out of the statistics). */
  readonly warmupTasks: number;
  readonly seconds: number;
  /** Each workload with a matrix and the variants it expands into, in the order they run. */
  readonly variants: readonly { readonly workload: string; readonly names: readonly string[] }[];
};

/** Seconds a setup or teardown command is assumed to take. */
const SHELL_STEP_SECONDS = 1;

export function hostCount(plan: Plan): number {
  const h = plan.hosts;
  if ('local' in h) return typeof h.local === 'number' ? h.local : h.local.length;
  if ('instanceIds' in h) return h.instanceIds.length;
  if ('provision' in h) return h.provision.count;
  return 0;
}

export function estimatePlan(plan: Plan): PlanEstimate {
  const hosts = hostCount(plan);
  const waves = plan.concurrency ? Math.ceil(Math.max(hosts, 1) / plan.concurrency) : 1;
  let seconds = (plan.setup.length + plan.teardown.length) * SHELL_STEP_SECONDS;
  let tasks = 0;
  let warmupTasks = 0;
  const workloads = runWorkloads(plan, plugins);
  for (const w of workloads) {
    const reps = w.warmup + w.repetitions;
    const per = plugins.get(w.plugin)?.estimateSeconds(w.options) ?? 1;
    seconds += (w.setup.length + w.teardown.length) * SHELL_STEP_SECONDS + reps * per * waves;
    tasks += reps * hosts;
    warmupTasks += w.warmup * hosts;
  }
  const variants = plan.workloads
    .filter((w) => w.matrix !== undefined)
    .map((w) => ({ workload: w.name, names: workloads.filter((v) => v.of === w.name).map((v) => v.name) }));
  return { workloads: workloads.length, hosts, tasks, warmupTasks, seconds, variants };
}
