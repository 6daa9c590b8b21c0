/**
 * SSM status events (default bus) → the on-invocation-status use case. A per-instance event gives one
 * host's result; a per-command event, the safety net for lost per-instance events, gives every host that
 * has not reported yet. The rules match every AWS-RunShellScript command of the account (an event carries
 * no comment or tag to tell fleetbench's apart), so events of commands fleetbench never recorded are
 * ignored with a log line after one journal read, before any SSM or S3 call; the journal's record of the
 * SSM command id (`PROVIDER#`) also names the run and the command. A per-instance event that
 * outruns the recording of its command's id is ignored too; the command's own status event, sent once
 * every host ended, recovers that host.
 */

import { isTerminalEvent, ssmStatusEventSchema } from '../lib/adapters/aws/ssm-status-event.js';
import { resultsToApply } from '../lib/app/commands.js';
import { type InvocationOutcome, onInvocationStatus } from '../lib/app/on-invocation-status.js';
import { type AwsRuntime, awsRuntime, lambda, logger, parseInput } from './runtime.js';

export type StatusOutcome = { readonly outcomes: readonly InvocationOutcome[] };

export function createOnInvocationStatusHandler(runtime: () => Pick<AwsRuntime, 'deps' | 'statusEvents'>) {
  return async (event: unknown): Promise<StatusOutcome> => {
    const parsed = parseInput(ssmStatusEventSchema, event, 'SSM status event');
    const commandId = parsed.detail['command-id'];
    if (!isTerminalEvent(parsed)) return { outcomes: [] };
    const { deps, statusEvents } = runtime();
    const ids = await deps.journal.findCommandByProviderId(commandId);
    if (!ids) {
      logger.info("status event of a command that is not fleetbench's ignored", { commandId });
      return { outcomes: [] };
    }

    if (parsed['detail-type'] === 'EC2 Command Invocation Status-change Notification') {
      const result = await statusEvents.invocationResult(parsed, ids);
      if (!result) return { outcomes: [] };
      const outcome = await onInvocationStatus(deps, result);
      logger.info('invocation status recorded', { ...result, outcome });
      return { outcomes: [outcome] };
    }

    const results = (await statusEvents.commandResults(parsed, ids)) ?? [];
    const command = results.length > 0 ? await deps.journal.getCommand(ids.runId, ids.commandId) : undefined;
    // Only hosts the per-instance events missed: each result costs an output read and a parse.
    const missed = command ? resultsToApply(command, results) : [];
    const outcomes: InvocationOutcome[] = [];
    for (const result of missed) outcomes.push(await onInvocationStatus(deps, result));
    if (missed.length > 0)
      logger.warn('results recovered from a command status event', { commandId, hosts: missed.length });
    return { outcomes };
  };
}

export const handler = lambda(createOnInvocationStatusHandler(awsRuntime));
