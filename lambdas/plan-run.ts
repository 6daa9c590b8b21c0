/**
 * The "Plan run" step: validates the execution input (`{"plan": {...}}` for a new run, `{"resume":
 * {"runId": ...}}` to resume) and runs the plan-run use case. Its result (run id, workloads, step timeout)
 * is what the workflow iterates over.
 */
import { z } from 'zod';
import { type PlanRunOutput, planRun } from '../lib/app/plan-run.js';
import { type AwsRuntime, awsRuntime, defined, lambda, parseInput } from './runtime.js';

const payloadSchema = z.object({
  input: z
    .looseObject({
      plan: z.unknown().optional(),
      runId: z.string().min(1).optional(),
      keepHosts: z.boolean().optional(),
      resume: z.object({ runId: z.string().min(1), onlyFailed: z.boolean().optional() }).optional(),
    })
    .refine((input) => (input.plan === undefined) !== (input.resume === undefined), {
      message: 'the execution input needs exactly one of "plan" (a new run) or "resume" ({"runId": "..."})',
    }),
  executionArn: z.string().min(1),
});

export function createPlanRunHandler(runtime: () => Pick<AwsRuntime, 'deps'>) {
  return async (event: unknown): Promise<PlanRunOutput> => {
    const { input, executionArn } = parseInput(payloadSchema, event, 'Plan run payload');
    const resume = input.resume
      ? { resume: { runId: input.resume.runId, ...defined({ onlyFailed: input.resume.onlyFailed }) } }
      : {};
    return planRun(runtime().deps, {
      ...defined({ plan: input.plan, runId: input.runId, keepHosts: input.keepHosts }),
      ...resume,
      executionArn,
    });
  };
}

export const handler = lambda(createPlanRunHandler(awsRuntime));
