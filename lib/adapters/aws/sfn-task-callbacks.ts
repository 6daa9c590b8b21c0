/**
 * TaskCallbacks on Step Functions: SendTaskSuccess/SendTaskFailure resume the workflow step waiting on a
 * task token. A token whose step already ended (timed out, execution stopped, or completed by a duplicate
 * event) is not an error: the outcome is already decided, so the call is logged and dropped.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Logger, TaskCallbacks } from '../../core/ports.js';
import {
  isThrottling,
  named,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';

/** SendTaskFailure limits: `error` 256 characters, `cause` 32,768. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;

/** The step this token belongs to has already ended. */
const isStale = named('TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken');

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * @example
 * const callbacks = new SfnTaskCallbacks({ sfn: clients.sfn, logger });
 * await callbacks.failure(token, 'Fleetbench.StopRequested', 'stop requested');
 */
export class SfnTaskCallbacks implements TaskCallbacks {
  readonly #sfn: SFNClient;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;

  constructor(options: {
    readonly sfn: SFNClient;
    readonly logger: Logger;
    readonly retry?: RetryOverrides;
  }) {
    this.#sfn = options.sfn;
    this.#logger = options.logger;
    this.#retry = retryPolicy(options.retry);
  }

  async success(taskToken: string, output: unknown): Promise<void> {
    await this.#send('success', () =>
      this.#sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? null) })),
    );
  }

  async failure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.#send('failure', () =>
      this.#sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: truncate(error, MAX_ERROR_LENGTH),
          cause: truncate(cause, MAX_CAUSE_LENGTH),
        }),
      ),
    );
  }

  async #send(kind: 'success' | 'failure', call: () => Promise<unknown>): Promise<void> {
    try {
      await withRetry(call, isThrottling, this.#retry);
    } catch (error) {
      if (!isStale(error)) throw error;
      this.#logger.warn('task token already closed; outcome dropped', {
        kind,
        reason: error instanceof Error ? error.name : String(error),
      });
    }
  }
}
