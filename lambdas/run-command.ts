/**
 * The "Run …" steps (global setup, workload setup, repetition, teardowns): invoked with a task token,
 * it sends the step's command and returns at once; on-invocation-status completes the token. A refused
 * step throws Fleetbench.StopRequested, which the state machine catches by that name.
 */
import { z } from 'zod';
import { type RunCommandOutput, runCommand } from '../lib/app/run-command.js';
import { PHASES } from '../lib/core/run.js';
import { type AwsRuntime, awsRuntime, defined, lambda, parseInput } from './runtime.js';

const payloadSchema = z.object({
  phase: z.enum(PHASES),
  runId: z.string().min(1),
  attempt: z.number().int().positive().optional(),
  workload: z.string().min(1).optional(),
  rep: z.number().int().positive().optional(),
  host: z.string().min(1).optional(),
  taskToken: z.string().min(1),
});

export function createRunCommandHandler(runtime: () => Pick<AwsRuntime, 'deps'>) {
  return async (event: unknown): Promise<RunCommandOutput> => {
    const { phase, runId, attempt, workload, rep, host, taskToken } = parseInput(
      payloadSchema,
      event,
      'Run command payload',
    );
    return runCommand(runtime().deps, {
      phase,
      runId,
      taskToken,
      ...defined({ attempt, workload, rep, host }),
    });
  };
}

export const handler = lambda(createRunCommandHandler(awsRuntime));
