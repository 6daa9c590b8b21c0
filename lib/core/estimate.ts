/**
 * The dry-run estimate `validate` prints: how many tasks a plan makes and roughly how long it takes.
 * Lockstep runs every host of a repetition together, so time grows with repetitions and host waves, not hosts.
 */
import { type Plan, repetitionsOf } from './plan.js';
import { plugins } from './plugins/index.js';

export type PlanEstimate = {
  readonly workloads: number;
  readonly hosts: number;
  readonly tasks: number;
  readonly seconds: number;
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
  for (const w of plan.workloads) {
    const reps = repetitionsOf(plan, w);
    const per = plugins.get(w.plugin)?.estimateSeconds(w.options) ?? 1;
    seconds += (w.setup.length + w.teardown.length) * SHELL_STEP_SECONDS + reps * per * waves;
    tasks += reps * hosts;
  }
  return { workloads: plan.workloads.length, hosts, tasks, seconds };
}
