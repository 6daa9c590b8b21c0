/**
 * Reading command records: which hosts failed a step, which hosts never answered.
 */
import type { CommandRecord, HostOutcome } from '../core/run.js';

export function isFailedOutcome(outcome: HostOutcome): boolean {
  return outcome.status !== 'Success' || outcome.error !== undefined;
}

/** Names of hosts whose outcome on this command is a failure (hosts not yet answered are not counted). */
export function failedHostNames(command: CommandRecord): Set<string> {
  const names = new Set<string>();
  for (const host of command.hosts) {
    const outcome = command.outcomes[host.id];
    if (outcome && isFailedOutcome(outcome)) names.add(host.name);
  }
  return names;
}

/** Hosts that have not reported an outcome (still running, or never confirmed a stop). */
export function silentHosts(command: CommandRecord): CommandRecord['hosts'] {
  return command.hosts.filter((h) => command.outcomes[h.id] === undefined);
}
