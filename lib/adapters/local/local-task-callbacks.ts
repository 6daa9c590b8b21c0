/**
 * The local stand-in for Step Functions task tokens. A Task state's override issues a token, hands it to
 * run-command, and waits on it; on-invocation-status and stop-run complete it through the same
 * TaskCallbacks port the Lambdas use to call SendTaskSuccess/SendTaskFailure.
 */
import { randomUUID } from 'node:crypto';
import type { TaskCallbacks } from '../../core/ports.js';

/** The error a failed token rejects with; `name` is what the ASL's Catch and Choice rules match. */
export class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export class LocalTaskCallbacks implements TaskCallbacks {
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** Issues a token and the promise that settles when the token is completed. */
  issue(): { token: string; completion: Promise<unknown> } {
    const token = `local-${randomUUID()}`;
    const completion = new Promise<unknown>((resolve, reject) =>
      this.waiting.set(token, { resolve, reject }),
    );
    return { token, completion };
  }

  async success(taskToken: string, output: unknown): Promise<void> {
    this.take(taskToken)?.resolve(output);
  }

  async failure(taskToken: string, error: string, cause: string): Promise<void> {
    this.take(taskToken)?.reject(new TaskFailure(error, cause));
  }

  /** Fails every waiting token, e.g. when the engine is shutting down. */
  failAll(error: string, cause: string): void {
    for (const token of [...this.waiting.keys()]) this.take(token)?.reject(new TaskFailure(error, cause));
  }

  private take(token: string) {
    const w = this.waiting.get(token);
    this.waiting.delete(token);
    return w;
  }
}
