/**
 * The shape of a run, all the projections need of a plan: how many hosts, repetitions, and setup/teardown
 * commands, and the run-command steps the workflow takes through them.
 */
import { hostCount } from '../estimate.js';
import type { Plan } from '../plan.js';
import { planWorkloads } from '../workload-variants.js';

/** What the projections need of a plan: how many hosts, repetitions, and setup/teardown commands. */
export type RunShape = {
  /** Undefined when the plan selects hosts by tag: known only at run time. */
  readonly hosts: number | undefined;
  readonly globalSetup: number;
  readonly globalTeardown: number;
  readonly workloads: readonly { readonly reps: number; readonly setup: number; readonly teardown: number }[];
};

export function runShape(plan: Plan): RunShape {
  const hosts = hostCount(plan);
  return {
    hosts: hosts > 0 ? hosts : undefined,
    globalSetup: plan.setup.length,
    globalTeardown: plan.teardown.length,
    // Each variant of a matrix is a workload of the run, and warm-ups are repetitions like the others.
    workloads: planWorkloads(plan).map((w) => ({
      reps: w.warmup + w.repetitions,
      setup: w.setup.length,
      teardown: w.teardown.length,
    })),
  };
}

export type RunCommandStep = {
  readonly phase: 'globalSetup' | 'setup' | 'repetition' | 'teardown' | 'globalTeardown';
  /** Whether run-command sends a command (a step without commands is skipped and sends nothing). */
  readonly sends: boolean;
  /** The controller state moves at this step (RUNNING_GLOBAL_SETUP, RUNNING_WORKLOADS, RUNNING_GLOBAL_TEARDOWN). */
  readonly changesState: boolean;
  /** A workload teardown: the ids of the workload's commands it looks up (setup and each repetition). */
  readonly lookups?: { readonly ids: number; readonly found: number };
};

/** The workflow's run-command steps, in order. */
export function runCommandSteps(shape: RunShape): RunCommandStep[] {
  const list: RunCommandStep[] = [{ phase: 'globalSetup', sends: shape.globalSetup > 0, changesState: true }];
  shape.workloads.forEach((w, i) => {
    list.push({ phase: 'setup', sends: w.setup > 0, changesState: i === 0 });
    for (let r = 0; r < w.reps; r += 1) list.push({ phase: 'repetition', sends: true, changesState: false });
    list.push({
      phase: 'teardown',
      sends: w.teardown > 0,
      changesState: false,
      lookups: { ids: 1 + w.reps, found: (w.setup > 0 ? 1 : 0) + w.reps },
    });
  });
  list.push({ phase: 'globalTeardown', sends: shape.globalTeardown > 0, changesState: true });
  return list;
}
