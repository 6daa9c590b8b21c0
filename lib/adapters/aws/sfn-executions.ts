/**
 * The Step Functions executions that drive runs: whether one is still alive (for the reconciler) and
 * stopping one (for `fleetbench stop --force`). Only executions of this stack's state machine are judged:
 * another stack's runs, or local runs, are not ours to fail.
 */
import { DescribeExecutionCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { CatalogEntry } from '../../core/run.js';
import {
  isThrottling,
  named,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';

/** `arn:…:stateMachine:<name>` → the prefix of its executions, `arn:…:execution:<name>:`. */
export function executionArnPrefix(stateMachineArn: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
}

/**
 * @example
 * const executions = new SfnExecutions({ sfn: clients.sfn, stateMachineArn: config.stateMachineArn });
 * await reconcileRuns(deps, { isDriverAlive: (entry) => executions.isDriverAlive(entry) });
 */
export class SfnExecutions {
  readonly #sfn: SFNClient;
  readonly #prefix: string;
  readonly #retry: RetryPolicy;

  constructor(options: {
    readonly sfn: SFNClient;
    readonly stateMachineArn: string;
    readonly retry?: RetryOverrides;
  }) {
    this.#sfn = options.sfn;
    this.#prefix = executionArnPrefix(options.stateMachineArn);
    this.#retry = retryPolicy(options.retry);
  }

  /** Whether `executionArn` belongs to this stack's state machine. */
  owns(executionArn: string | undefined): executionArn is string {
    return executionArn?.startsWith(this.#prefix) === true;
  }

  /**
   * The reconciler's check: RUNNING is alive, any end (or an execution that no longer exists) is dead,
   * and a run this state machine does not drive is not judged (undefined).
   */
  async isDriverAlive(entry: Pick<CatalogEntry, 'executionArn' | 'engine'>): Promise<boolean | undefined> {
    if (entry.engine !== undefined || !this.owns(entry.executionArn)) return undefined;
    const arn = entry.executionArn;
    try {
      const out = await withRetry(
        () => this.#sfn.send(new DescribeExecutionCommand({ executionArn: arn })),
        isThrottling,
        this.#retry,
      );
      return out.status === 'RUNNING';
    } catch (error) {
      if (named('ExecutionDoesNotExist')(error)) return false;
      throw error;
    }
  }

  /** Stops an execution at once (no teardown); false when it had already ended or does not exist. */
  async stop(executionArn: string, cause: string): Promise<boolean> {
    try {
      await withRetry(
        () =>
          this.#sfn.send(
            new StopExecutionCommand({
              executionArn,
              error: 'Fleetbench.ForceStopped',
              cause: cause.slice(0, 32_768),
            }),
          ),
        isThrottling,
        this.#retry,
      );
      return true;
    } catch (error) {
      if (named('ExecutionDoesNotExist', 'ExecutionNotStoppable')(error)) return false;
      throw error;
    }
  }
}
