/**
 * The Step Functions executions that drive runs: starting one (`fleetbench run --target aws`), whether one
 * is still alive and why it failed (the reconciler, the CLI following a run), and stopping one
 * (`fleetbench stop --force`). Only executions of this stack's state machine are judged: another stack's
 * runs, or local runs, are not ours to fail.
 */
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { CatalogEntry } from '../../core/run.js';
import {
  isThrottling,
  named,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';

/** What DescribeExecution tells of an execution; `error` and `cause` only for one that failed. */
export type ExecutionSummary = {
  readonly status: ExecutionStatus;
  readonly error?: string;
  readonly cause?: string;
};

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
  readonly #stateMachineArn: string;
  readonly #prefix: string;
  readonly #retry: RetryPolicy;

  constructor(options: {
    readonly sfn: SFNClient;
    readonly stateMachineArn: string;
    readonly retry?: RetryOverrides;
  }) {
    this.#sfn = options.sfn;
    this.#stateMachineArn = options.stateMachineArn;
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

  /**
   * Starts an execution of the run workflow. `name` (the run id, so the console lists executions by run)
   * must be unique per state machine for 90 days.
   * @example
   * const arn = await executions.start({ plan, runId }, runId);
   */
  async start(input: unknown, name: string): Promise<string> {
    const out = await withRetry(
      () =>
        this.#sfn.send(
          new StartExecutionCommand({
            stateMachineArn: this.#stateMachineArn,
            name,
            input: JSON.stringify(input),
          }),
        ),
      isThrottling,
      this.#retry,
    );
    if (!out.executionArn) throw new Error(`StartExecution returned no executionArn for ${name}`);
    return out.executionArn;
  }

  /** The execution's status, and its error and cause when it failed. */
  async describe(executionArn: string): Promise<ExecutionSummary> {
    const out = await withRetry(
      () => this.#sfn.send(new DescribeExecutionCommand({ executionArn })),
      isThrottling,
      this.#retry,
    );
    return {
      status: out.status ?? 'RUNNING',
      ...(out.error ? { error: out.error } : {}),
      ...(out.cause ? { cause: out.cause } : {}),
    };
  }

  /**
   * Why a failed execution failed, as the step that failed said it: a Fail state's own cause is generic
   * ("see the Plan run step output"), so the history is read back for the last task failure, and a Lambda
   * error (`{"errorType", "errorMessage"}`) is given as its type and message. Undefined when the history
   * names no failed task.
   */
  async taskFailure(executionArn: string): Promise<{ error: string; cause: string } | undefined> {
    const out = await withRetry(
      () =>
        this.#sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 100 })),
      isThrottling,
      this.#retry,
    );
    for (const event of out.events ?? []) {
      const failed = taskFailedDetails(event);
      if (failed) return lambdaError(failed.error, failed.cause);
    }
    return undefined;
  }
}

function taskFailedDetails(
  event: HistoryEvent,
): { error?: string | undefined; cause?: string | undefined } | undefined {
  return event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
}

/** A Lambda error cause is `{"errorType": "...", "errorMessage": "..."}`; anything else is kept as is. */
function lambdaError(error: string | undefined, cause: string | undefined): { error: string; cause: string } {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') {
      return {
        error: typeof parsed.errorType === 'string' ? parsed.errorType : (error ?? 'Error'),
        cause: parsed.errorMessage,
      };
    }
  } catch {
    // Not JSON: the cause is plain text.
  }
  return { error: error ?? 'Error', cause: cause ?? '' };
}
