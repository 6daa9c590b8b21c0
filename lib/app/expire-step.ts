/**
 * expire-step: the backstop of a step that outlived its deadline (core/step-deadline.ts). Every host that
 * has not answered is cancelled and answered as failed through on-invocation-status, the one path that
 * records results and completes the workflow's token; hosts that did answer keep their outcome (the
 * journal records a host's outcome once). If even that cannot be written, the token is failed directly,
 * so the workflow goes on to the teardowns whatever the journal does.
 */
import { WorkflowErrorName } from '../core/errors.js';
import type { Deps } from '../core/ports.js';
import { onInvocationStatus } from './on-invocation-status.js';

/**
 * @example
 * await expireStep(deps, { runId, commandId: 'a1.repetition.cpu.1', taskToken, deadlineSeconds: 630 });
 */
export async function expireStep(
  deps: Deps,
  step: { runId: string; commandId: string; taskToken: string; deadlineSeconds: number },
): Promise<void> {
  const why = `no result within ${step.deadlineSeconds}s (the task timeout plus the stop timeout)`;
  deps.logger.error('step expired', { runId: step.runId, commandId: step.commandId, reason: why });
  try {
    const spec = await deps.journal.getCommandSpec(step.runId, step.commandId);
    if (spec !== undefined) {
      await deps.runner.cancel({ runId: step.runId, commandId: step.commandId, providerIds: [] }, spec.hosts);
      for (const host of spec.hosts) {
        await onInvocationStatus(deps, {
          runId: step.runId,
          commandId: step.commandId,
          hostId: host.id,
          status: 'Failed',
          error: why,
          finishedAt: deps.clock.now().toISOString(),
        });
      }
    }
  } catch (error) {
    deps.logger.error('could not record the expired step', { ...step, error: String(error) });
  }
  // A no-op locally when the answers above completed the token; refused by Step Functions, harmlessly.
  await deps.callbacks.failure(step.taskToken, WorkflowErrorName.StepFailed, why).catch(() => undefined);
}
