/**
 * How long a step may wait for its hosts' answers, whatever goes wrong. A host's command ends by its task
 * timeout (the runner kills it then), and a stop waits at most the stop timeout for hosts to confirm; a
 * step that is still waiting after both has lost an answer (a result that could not be recorded, a
 * delivery that never came), and the engine fails it instead of waiting for ever. Hosts beyond the plan's
 * `concurrency` run in waves, each of which may take the task timeout.
 */
import type { Plan } from './plan.js';
import { baseWorkloadName } from './workload-variants.js';

/**
 * @example
 * stepDeadlineSeconds({ timeouts: { task: 600, stop: 30 }, workloads: [] }, { hosts: 3 }); // 630
 * stepDeadlineSeconds({ timeouts: { task: 60, stop: 30 }, concurrency: 2, workloads: [] }, { hosts: 5 }); // 210
 */
export function stepDeadlineSeconds(
  plan: Pick<Plan, 'timeouts' | 'concurrency' | 'workloads'>,
  step: { readonly workload?: string; readonly hosts: number },
): number {
  // A matrix's variants share their workload's timeout.
  const name = step.workload === undefined ? undefined : baseWorkloadName(step.workload);
  const workload = plan.workloads.find((w) => w.name === name);
  const taskSeconds = workload?.timeout ?? plan.timeouts.task;
  const waves = plan.concurrency === undefined ? 1 : Math.max(1, Math.ceil(step.hosts / plan.concurrency));
  return waves * taskSeconds + plan.timeouts.stop;
}
