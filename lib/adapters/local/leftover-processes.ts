/**
 * Commands a dead engine left running. Every local command carries a marker in its environment:
 * FLEETBENCH_RUN_ID, FLEETBENCH_ATTEMPT and FLEETBENCH_COMMAND_ID (the step, with the task's workload, rep
 * and host). Leftovers are found by that marker, wherever they went (`cd /tmp && …`, a daemon that left its
 * process group keeps its environment), and stopped with SIGKILL to their process groups — the local
 * counterpart of the aws reconciler cancelling orphaned commands. The engine also stops every earlier
 * attempt's leftovers before a resumed run starts a step, so a task never runs beside an earlier
 * incarnation of itself. A process that clears its environment (`env -i`) cannot be found. Linux: reads /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** How long killLeftoverProcesses waits for the killed processes to be gone. */
const SETTLE_MS = 2000;

type Leftover = { readonly pid: number; readonly pgid: number };

/** The live processes whose environment marks them as `runId`'s commands, of an attempt before `beforeAttempt` if given. */
function findLeftovers(runId: string, beforeAttempt?: number): Leftover[] {
  const marker = `FLEETBENCH_RUN_ID=${runId}`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const found: Leftover[] = [];
  for (const pid of pids) {
    try {
      const environ = readFileSync(join('/proc', pid, 'environ'), 'latin1').split('\0');
      if (!environ.includes(marker)) continue;
      const attempt = Number(environ.find((e) => e.startsWith('FLEETBENCH_ATTEMPT='))?.split('=')[1] ?? 0);
      if (beforeAttempt !== undefined && attempt >= beforeAttempt) continue;
      const stat = readFileSync(join('/proc', pid, 'stat'), 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z' && pgrp !== undefined) found.push({ pid: Number(pid), pgid: Number(pgrp) });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Kills `runId`'s leftover commands (only those of attempts before `beforeAttempt`, when given) and waits,
 * briefly, until they are gone; returns the process group ids it signalled.
 * @example
 * await killLeftoverProcesses('quickstart-20261206-050600-hdrz', { beforeAttempt: 2 }); // [48213]
 */
export async function killLeftoverProcesses(
  runId: string,
  options: { beforeAttempt?: number } = {},
): Promise<number[]> {
  const groups = new Set<number>();
  const deadline = Date.now() + SETTLE_MS;
  for (let left = findLeftovers(runId, options.beforeAttempt); left.length > 0; ) {
    for (const { pid, pgid } of left) {
      // The group takes the command's children; the pid, a process that moved to a group of its own.
      if (pgid > 1 && pgid !== process.pid) {
        groups.add(pgid);
        kill(-pgid);
      }
      kill(pid);
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = findLeftovers(runId, options.beforeAttempt);
  }
  return [...groups];
}
