/**
 * Helpers for the AWS adapter tests: SDK service errors by name (the adapters branch on `name` only), a
 * retry policy that never waits, and a recording logger.
 */
import { vi } from 'vitest';
import type { RetryOverrides } from '../../../lib/adapters/aws/retry.js';
import type { Logger } from '../../../lib/core/ports.js';

export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Retries without waiting; `sleep` records the delays asked for. */
export function noWait(): RetryOverrides & { sleep: ReturnType<typeof vi.fn> } {
  return { sleep: vi.fn(async (_ms: number) => {}), random: () => 0.5 };
}

export function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields?: Record<string, unknown> }[];
} {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}
