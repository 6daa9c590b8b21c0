/**
 * Retries for the AWS adapters: exponential backoff with full jitter, on errors a predicate names
 * (throttling, eventual consistency right after a write). The SDK already retries transport errors a
 * few times; this covers the service errors it does not, and the "not visible yet" errors it cannot know
 * are transient. `sleep` and `random` are injected so tests neither wait nor flake.
 */

export type RetryPolicy = {
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
};

/** What adapters accept from their callers: any part of the policy (tests pass `{ sleep: async () => {} }`). */
export type RetryOverrides = Partial<RetryPolicy>;

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseMs: 100,
  maxMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export function retryPolicy(overrides: RetryOverrides = {}): RetryPolicy {
  return { ...DEFAULT_RETRY, ...overrides };
}

/**
 * Full-jitter backoff: a random delay in [0, min(maxMs, baseMs * 2^attempt)).
 * @example
 * backoffMs(3, retryPolicy({ random: () => 0.5 })); // 400
 */
export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs' | 'random'>): number {
  return Math.floor(policy.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt));
}

/** The `name` of an AWS SDK service error (its error code), or undefined for anything else. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** A predicate matching errors by name. */
export function named(...names: readonly string[]): (error: unknown) => boolean {
  const set = new Set(names);
  return (error) => set.has(errorName(error) ?? '');
}

/** SSM and most AWS APIs signal throttling with these names. */
export const isThrottling = named(
  'ThrottlingException',
  'TooManyUpdates',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'Throttling',
);

/**
 * Runs `fn` until it resolves, an error is not retryable, or the attempts are spent (the last error is thrown).
 * @example
 * const out = await withRetry(() => ssm.send(new SendCommandCommand(input)), isThrottling, retryPolicy());
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  retryable: (error: unknown) => boolean,
  policy: RetryPolicy,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt + 1 >= policy.attempts || !retryable(error)) throw error;
      await policy.sleep(backoffMs(attempt, policy));
    }
  }
}

/** Splits a list into chunks of at most `size` (SendCommand/CancelCommand: 50 ids, PutEvents: 10 entries). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
