/**
 * Reading command records: which hosts failed a step, which hosts never answered (the mark a failed
 * step leaves is core/command-id.ts's).
 */
import type { CommandRecord, HostOutcome, InvocationResult } from '../core/run.js';

function isFailedOutcome(outcome: HostOutcome): boolean {
  return outcome.status !== 'Success' || outcome.error !== undefined;
}

/** Names of hosts whose outcome on this command is a failure (hosts not yet answered are not counted). */
export function failedHostNames(command: Pick<CommandRecord, 'hosts' | 'outcomes'>): Set<string> {
  const names = new Set<string>();
  for (const host of command.hosts) {
    const outcome = command.outcomes[host.id];
    if (outcome && isFailedOutcome(outcome)) names.add(host.name);
  }
  return names;
}

/** Hosts that have not reported an outcome (still running, or never confirmed a stop). */
export function silentHosts(command: Pick<CommandRecord, 'hosts' | 'outcomes'>): CommandRecord['hosts'] {
  return command.hosts.filter((h) => command.outcomes[h.id] === undefined);
}

/**
 * What is worth applying of a command's polled results: those of hosts with no outcome yet; or, when every
 * host has one but the command is still open (a process died between recording the last outcome and
 * counting it), one of them again, so that on-invocation-status recounts and closes the step.
 */
export function resultsToApply(
  command: CommandRecord,
  results: readonly InvocationResult[],
): InvocationResult[] {
  if (command.status !== 'SENT') return [];
  if (silentHosts(command).length > 0) return results.filter((r) => command.outcomes[r.hostId] === undefined);
  return results.slice(0, 1);
}
