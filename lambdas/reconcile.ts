/**
 * The scheduled reconciler (every 5 minutes). SSM status events are best effort, so it first polls
 * commands still SENT after 10 minutes and feeds their results to on-invocation-status; then it fails runs
 * whose Step Functions execution is gone (reconcileRuns), so they can be resumed; last, it terminates
 * ephemeral hosts whose run ended (a forced stop skips finalize) or is unknown, after a grace period
 * (reconcileHosts); and when the stack sets a retention (FLEETBENCH_RUN_RETENTION), it purges runs that
 * ended longer ago than that (purgeExpiredRuns).
 */
import { S3RunOutputs } from '../lib/adapters/aws/s3-run-outputs.js';
import { pollStaleCommands, STALE_COMMAND_MS } from '../lib/app/poll-stale-commands.js';
import { HOST_GRACE_MS, reconcileHosts, reconcileRuns } from '../lib/app/reconcile.js';
import { purgeExpiredRuns } from '../lib/app/retention.js';
import { type AwsRuntime, awsRuntime, lambda, logger } from './runtime.js';

export type ReconcileResult = {
  readonly polledCommands: number;
  readonly recoveredResults: number;
  readonly failedRuns: readonly { runId: string; reason: string }[];
  readonly terminatedHosts: readonly { runId: string; hostId: string; reason: string }[];
  /** Runs purged because they ended longer ago than the stack's retention. */
  readonly purgedRuns: readonly string[];
};

export function createReconcileHandler(
  runtime: () => Pick<AwsRuntime, 'config' | 'clients' | 'deps' | 'executions'>,
) {
  return async (): Promise<ReconcileResult> => {
    const { config, clients, deps, executions } = runtime();
    const polled = await pollStaleCommands(deps, { olderThanMs: STALE_COMMAND_MS });
    const report = await reconcileRuns(deps, { isDriverAlive: (entry) => executions.isDriverAlive(entry) });
    const hosts = await reconcileHosts(deps, { graceMs: HOST_GRACE_MS });
    const retentionSeconds = config.runRetentionSeconds;
    const { purged } =
      retentionSeconds === undefined
        ? { purged: [] }
        : await purgeExpiredRuns(
            { ...deps, artifacts: new S3RunOutputs({ s3: clients.s3, bucket: config.outputBucket }) },
            { retentionSeconds },
          );
    const result = {
      ...polled,
      failedRuns: report.failed,
      terminatedHosts: hosts.terminated,
      purgedRuns: purged,
    };
    logger.info('reconciled', result);
    return result;
  };
}

export const handler = lambda(createReconcileHandler(awsRuntime));
