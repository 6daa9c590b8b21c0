/**
 * Commands a dead engine left running. A local command carries FLEETBENCH_RUN_ID in its environment and
 * runs under the data directory's host working directories, so after a `kill -9` of the engine the
 * next fleetbench command can find what that run left behind and stop it (SIGKILL to each process group)
 * — the local counterpart of the aws reconciler cancelling orphaned commands. Linux: reads /proc.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/** Kills the process groups of `runId`'s leftover commands; returns the group ids it signalled. */
export function killLeftoverProcesses(dataDir: string, runId: string): number[] {
  const hostsDir = resolve(dataDir, 'hosts') + sep;
  const marker = `FLEETBENCH_RUN_ID=${runId}`;
  const groups = new Set<number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  for (const pid of pids) {
    try {
      if (!readlinkSync(join('/proc', pid, 'cwd')).startsWith(hostsDir)) continue;
      if (
        !readFileSync(join('/proc', pid, 'environ'), 'latin1')
          .split('\0')
          .includes(marker)
      )
        continue;
      const stat = readFileSync(join('/proc', pid, 'stat'), 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && pgrp !== undefined) groups.add(Number(pgrp));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return [...groups];
}
