/**
 * Fakes for handler tests: Deps whose ports answer only what a test sets up (any other call fails the
 * test loudly), and a Lambda context for the middy stack.
 */
import type { Context } from 'aws-lambda';
import { vi } from 'vitest';
import type { Deps } from '../../lib/core/ports.js';

type Parts = { [K in keyof Deps]?: Deps[K] extends object ? Partial<Deps[K]> : Deps[K] };

function strict<T extends object>(name: string, part: Partial<T> = {}): T {
  return new Proxy(part, {
    get(target, key) {
      const value = (target as Record<PropertyKey, unknown>)[key];
      if (value !== undefined || typeof key === 'symbol') return value;
      return () => Promise.reject(new Error(`unexpected call ${name}.${String(key)}`));
    },
  }) as T;
}

/** Strict Deps: only the calls a test sets up answer (use-case tests use support/dynalite-deps.ts's real repositories). */
export function fakeDeps(parts: Parts = {}): Deps {
  return {
    journal: strict('journal', parts.journal),
    catalog: strict('catalog', parts.catalog),
    runner: strict('runner', parts.runner),
    outputs: strict('outputs', parts.outputs),
    hosts: strict('hosts', parts.hosts),
    callbacks: strict('callbacks', parts.callbacks),
    events: strict('events', parts.events ?? { publish: vi.fn(async () => {}) }),
    clock: { now: () => new Date('2025-01-02T03:04:05.000Z'), sleep: async () => {}, ...parts.clock },
    logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn(), ...parts.logger },
    target: 'aws',
  };
}

export const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'fleetbench-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fleetbench-test',
  memoryLimitInMB: '512',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/fleetbench-test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 60_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};
