/**
 * The scheduled reconciler (every 5 minutes). SSM status events are best effort, so it first polls
 * commands still SENT after 10 minutes and feeds their results to on-invocation-status; then it fails runs
 * whose Step Functions execution is gone (reconcileRuns), so they can be resumed; last, it terminates
 * ephemeral hosts whose run ended (a forced stop skips finalize) or is unknown, after a grace period
 * (reconcileHosts).
 */
import { pollStaleCommands, STALE_COMMAND_MS } from '../lib/app/poll-stale-commands.js';
import { HOST_GRACE_MS, reconcileHosts, reconcileRuns } from '../lib/app/reconcile.js';
import { type AwsRuntime, awsRuntime, lambda, logger } from './runtime.js';

export type ReconcileResult = {
  readonly polledCommands: number;
  readonly recoveredResults: number;
  readonly failedRuns: readonly { runId: string; reason: string }[];
  readonly terminatedHosts: readonly { runId: string; hostId: string; reason: string }[];
};

export function createReconcileHandler(runtime: () => Pick<AwsRuntime, 'deps' | 'executions'>) {
  return async (): Promise<ReconcileResult> => {
    const { deps, executions } = runtime();
    const polled = await pollStaleCommands(deps, { olderThanMs: STALE_COMMAND_MS });
    const report = await reconcileRuns(deps, { isDriverAlive: (entry) => executions.isDriverAlive(entry) });
    const hosts = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });
    const result = { ...polled, failedRuns: report.failed, terminatedHosts: hosts.terminated };
    logger.info('reconciled', result);
    return result;
  };
}

export const handler = lambda(createReconcileHandler(awsRuntime));
