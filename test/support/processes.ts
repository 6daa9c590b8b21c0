/**
 * Helpers for tests that run real processes: wait for an event or a condition with a bounded deadline
 * (never a bare sleep), and probe whether a process or a process group is still alive. Zombies do not
 * count: where PID 1 does not reap orphans (some containers and microVMs), a killed orphan stays a zombie
 * that `kill(pid, 0)` still finds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InvocationResult } from '../../lib/core/run.js';

/** State and process group of `pid` from /proc, or undefined when it is gone (or there is no /proc). */
function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', , pgrp = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

function signalReaches(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Whether a process of group `pgid` is alive (not a zombie). */
export function isGroupAlive(pgid: number): boolean {
  if (!signalReaches(-pgid)) return false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    const stat = procStat(Number(pid));
    return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
  });
}

/** Whether process `pid` is alive (not a zombie). */
export function isPidAlive(pid: number): boolean {
  if (!signalReaches(pid)) return false;
  const stat = procStat(pid);
  return stat === undefined ? true : stat.state !== 'Z';
}

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`.
 * @example
 * await until(() => !isGroupAlive(pgid), { what: 'process group to exit', timeoutMs: 1000 });
 */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 10));
  }
}

/**
 * Collects a command runner's results so a test can await them as events.
 * @example
 * const results = new ResultCollector();
 * const runner = new LocalCommandRunner({ dataDir, onResult: results.onResult });
 * const [r] = await results.waitFor(1);
 */
export class ResultCollector {
  readonly results: InvocationResult[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  readonly onResult = (result: InvocationResult): void => {
    this.results.push(result);
    this.waiters = this.waiters.filter((w) => {
      if (this.results.length < w.count) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves with all results once `count` have arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<InvocationResult[]> {
    if (this.results.length < count) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${count} results (got ${this.results.length})`)),
          timeoutMs,
        );
        this.waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return [...this.results];
  }

  /** The result for `hostId` (of `commandId`, when given); throws when there is none. */
  get(hostId: string, commandId?: string): InvocationResult {
    const found = this.results.find(
      (r) => r.hostId === hostId && (commandId === undefined || r.commandId === commandId),
    );
    if (found === undefined) throw new Error(`no result for ${hostId}`);
    return found;
  }
}

export async function makeTempDir(prefix = 'fleetbench-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
