/**
 * Reading command records: which hosts failed a step, which hosts never answered, what a failed step marks.
 */
import type { CommandRecord, CommandSpec, HostOutcome, InvocationResult } from '../core/run.js';

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

/**
 * The catalog mark (CatalogEntry.policyFailures) of a repetition the failure policy ended: fail-fast ends
 * every cancellable step of the attempt (`a<n>.*`), otherwise the rest of that workload (`a<n>.<workload>`),
 * in free only on the step's host (`a<n>.<workload>.<host>`). Other phases leave no mark.
 * Workload names have no dot, so the marks cannot collide.
 */
export function policyFailureMark(
  attempt: number,
  command: Pick<CommandSpec, 'phase' | 'workload'>,
  failFast: boolean,
  host?: string,
): string | undefined {
  if (command.phase !== 'repetition') return undefined;
  if (failFast) return `a${attempt}.*`;
  return `a${attempt}.${command.workload ?? ''}${host === undefined ? '' : `.${host}`}`;
}
