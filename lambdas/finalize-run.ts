/**
 * The "Finalize run" step: hands the errors the workflow caught (`$.error`, `$.teardownError`) to the
 * finalize-run use case, which decides the final controller state.
 */
import { z } from 'zod';
import { type FinalizeOutput, finalizeRun } from '../lib/app/finalize-run.js';
import { type AwsRuntime, awsRuntime, defined, lambda, parseInput } from './runtime.js';

const caughtError = z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() });

const payloadSchema = z.object({
  runId: z.string().min(1),
  outcome: z.looseObject({ error: caughtError.optional(), teardownError: caughtError.optional() }).optional(),
});

type Caught = z.output<typeof caughtError> | undefined;
const caught = (e: Caught) => (e ? { ...defined({ Error: e.Error, Cause: e.Cause }) } : undefined);

export function createFinalizeRunHandler(runtime: () => Pick<AwsRuntime, 'deps'>) {
  return async (event: unknown): Promise<FinalizeOutput> => {
    const { runId, outcome } = parseInput(payloadSchema, event, 'Finalize run payload');
    return finalizeRun(runtime().deps, {
      runId,
      ...(outcome
        ? { outcome: defined({ error: caught(outcome.error), teardownError: caught(outcome.teardownError) }) }
        : {}),
    });
  };
}

export const handler = lambda(createFinalizeRunHandler(awsRuntime));
