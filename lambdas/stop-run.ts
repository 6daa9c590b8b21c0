/**
 * Stop requests from the `fleetbench` bus (`Stop Requested`, sent by `fleetbench stop`, the console or any
 * PutEvents caller): records the request once and coordinates the stop (cancel what may be cancelled, wait
 * for the hosts to confirm, fail the waiting step with Fleetbench.StopRequested). `force` also stops the
 * execution at once — no teardown, no Finalize step — so the run is settled here: what is still RUNNING is
 * CANCELLED and the run ends ABORTED, as a forced stop ends locally.
 *
 * EventBridge invokes asynchronously and retries failures, so a request that can never succeed (unknown
 * run, run already ended) is logged and dropped instead of thrown.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { STOP_REQUEST_EVENT } from '../lib/adapters/aws/stop-request.js';
import { coordinateStop, requestStop, type StopCoordination, settleForcedStop } from '../lib/app/stop-run.js';
import { RunNotFoundError, RunStateError } from '../lib/core/errors.js';
import { type AwsRuntime, awsRuntime, defined, lambda, logger, parseInput } from './runtime.js';

export const STOP_REQUESTED = STOP_REQUEST_EVENT.detailType;

const eventSchema = z.object({
  'detail-type': z.literal(STOP_REQUESTED),
  detail: z.object({
    runId: z.string().min(1),
    requestedBy: z.string().min(1),
    reason: z.string().optional(),
    force: z.boolean().optional(),
  }),
});

export type StopRunResult =
  | { readonly rejected: string }
  | (StopCoordination & { readonly recorded: boolean; readonly forced: boolean });

/**
 * What the stop keeps of the function's time after waiting for the hosts: closing the unconfirmed
 * commands, failing their tokens, settling a forced stop. A `timeouts.stop` longer than the function's
 * 15 minutes is cut to what is left, so STOP_FAILED is always recorded before the function times out.
 */
export const STOP_SETTLE_MARGIN_MS = 30_000;

export function createStopRunHandler(runtime: () => Pick<AwsRuntime, 'deps' | 'executions'>) {
  return async (
    event: unknown,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<StopRunResult> => {
    const { detail } = parseInput(eventSchema, event, 'Stop Requested event');
    const { deps, executions } = runtime();
    let requested: Awaited<ReturnType<typeof requestStop>>;
    try {
      requested = await requestStop(deps, {
        runId: detail.runId,
        requestedBy: detail.requestedBy,
        ...defined({ reason: detail.reason, force: detail.force }),
      });
    } catch (error) {
      if (!(error instanceof RunNotFoundError || error instanceof RunStateError)) throw error;
      logger.warn('stop request rejected', { runId: detail.runId, reason: error.message });
      return { rejected: error.message };
    }
    const executionArn = requested.entry.executionArn;
    // Whether stopped now or already (`fleetbench stop --force` also calls StopExecution), the execution
    // of a forced stop runs no Finalize: the run is settled below.
    const forceable = detail.force === true && executions.owns(executionArn);
    const forced =
      forceable &&
      (await executions.stop(
        executionArn,
        `force-stopped by ${detail.requestedBy}: ${detail.reason ?? 'no reason given'}`,
      ));
    const coordination = await coordinateStop(deps, detail.runId, {
      ...(context
        ? { maxWaitMs: Math.max(0, context.getRemainingTimeInMillis() - STOP_SETTLE_MARGIN_MS) }
        : {}),
    });
    if (forceable) await settleForcedStop(deps, detail.runId);
    logger.info('stop coordinated', {
      runId: detail.runId,
      recorded: requested.recorded,
      forced,
      ...coordination,
    });
    return { recorded: requested.recorded, forced, ...coordination };
  };
}

export const handler = lambda(createStopRunHandler(awsRuntime));
