/**
 * on-invocation-status: one host's result for one command (an SSM status-change event on aws, the local
 * runner's report locally). It records the outcome once — for a repetition the task's result with its
 * metrics, for other steps the host's outcome item — counts the answer on the command, and the answer that
 * completes the count closes the step: the workflow's task token is completed as the failure policy says.
 * Every write is conditional, so duplicate and out-of-order events leave the journal unchanged.
 */
import { taskCancelled, taskCompleted, taskFailed } from '../core/cloudevents.js';
import { commandAttempt, policyFailureMark } from '../core/command-id.js';
import { isStopping } from '../core/controller-state.js';
import { PluginOutputError, RunNotFoundError, WorkflowErrorName } from '../core/errors.js';
import { stepOutcome } from '../core/failure-policy.js';
import { plugins } from '../core/plugins/index.js';
import { checkMetricLimits } from '../core/plugins/metric-limits.js';
import type { Metric, WorkloadPlugin } from '../core/plugins/types.js';
import type { Deps } from '../core/ports.js';
import {
  type CommandRecord,
  type CommandSpec,
  type HostOutcome,
  type InvocationResult,
  type RunMeta,
  type TaskRecord,
  TERMINAL_INVOCATION_STATUSES,
} from '../core/run.js';
import type { TaskCounts, TaskStatus } from '../core/task-state.js';
import { findRunWorkload } from '../core/workload-variants.js';
import { failedHostNames, silentHosts } from './commands.js';
import { recountTasks } from './task-counts.js';

/** Plugins parse at most this much stdout; SSM keeps the full output in S3, the local runner in files. */
export const MAX_PARSED_OUTPUT_BYTES = 8 * 1024 * 1024;

export type InvocationOutcome = 'ignored' | 'duplicate' | 'recorded' | 'step-completed';

export async function onInvocationStatus(deps: Deps, result: InvocationResult): Promise<InvocationOutcome> {
  if (!TERMINAL_INVOCATION_STATUSES.includes(result.status)) return 'ignored';
  const command = await deps.journal.getCommandSpec(result.runId, result.commandId);
  if (!command) {
    deps.logger.warn('status for an unknown command ignored', {
      runId: result.runId,
      commandId: result.commandId,
    });
    return 'ignored';
  }
  const host = command.hosts.find((h) => h.id === result.hostId);
  if (!host) {
    deps.logger.warn('status for a host outside the command ignored', { ...result });
    return 'ignored';
  }
  const attempt = commandAttempt(command.commandId);
  const meta = await deps.journal.getRun(result.runId, attempt === undefined ? {} : { attempt });
  if (!meta) throw new RunNotFoundError(result.runId);
  const kept = await keepOutput(deps, result);
  const counted =
    command.phase === 'repetition'
      ? await recordRepetition(deps, meta, command, host.name, kept)
      : await deps.journal.recordHostOutcome(meta.runId, command.commandId, host.id, {
          status: kept.status,
          ...(kept.exitCode !== undefined ? { exitCode: kept.exitCode } : {}),
          ...(kept.error !== undefined ? { error: kept.error } : {}),
          ...(kept.stdoutRef !== undefined ? { outputRef: kept.stdoutRef } : {}),
        });
  if (counted === undefined) {
    // Already recorded: a duplicate, or a retry after a process died between recording and counting it.
    const recounted = await deps.journal.recountHostOutcomes(meta.runId, command.commandId);
    const complete = recounted !== undefined && recounted.answered >= recounted.hostCount;
    return complete && (await completeStep(deps, meta, command.commandId)) ? 'step-completed' : 'duplicate';
  }
  if (counted.answered < counted.hostCount) return 'recorded';
  return (await completeStep(deps, meta, command.commandId)) ? 'step-completed' : 'recorded';
}

/**
 * The result with its output where it lasts (OutputStore.keep): an output that cannot be kept is logged and
 * left where the runner put it, so the host's answer is still recorded and its step still ends.
 */
async function keepOutput(deps: Deps, result: InvocationResult): Promise<InvocationResult> {
  if (!deps.outputs.keep) return result;
  const { stdoutRef: _stdout, stderrRef: _stderr, ...rest } = result;
  try {
    return { ...rest, ...(await deps.outputs.keep(result)) };
  } catch (error) {
    deps.logger.error('could not keep a host output', { ...result, error: String(error) });
    return result;
  }
}

/**
 * A repetition's result is its task's: recorded once (the task must be RUNNING under this command), then
 * counted. Returns the count, or undefined when the task already had its result (a duplicate).
 */
async function recordRepetition(
  deps: Deps,
  meta: RunMeta,
  command: CommandSpec,
  hostName: string,
  result: InvocationResult,
): Promise<{ answered: number; hostCount: number } | undefined> {
  // An output that cannot be read or parsed fails the task; it never leaves the step without an answer.
  const outcome = await taskResult(deps, meta, command, hostName, result).catch((error: unknown) =>
    unrecordedResult({ ...resultBase(command, hostName, result), status: 'FAILED' }, error, 'read'),
  );
  const stored = await deps.journal.recordTaskResult(meta.runId, outcome).catch(async (error: unknown) => {
    // A result the store refuses (too large, a value it cannot hold) must not be lost with its step
    // waiting for ever: the task fails with the reason, in an item that holds only that.
    deps.logger.error('could not record a task result', {
      runId: meta.runId,
      task: outcome,
      error: String(error),
    });
    return deps.journal.recordTaskResult(meta.runId, unrecordedResult(outcome, error));
  });
  if (!stored) return undefined;
  const build =
    stored.status === 'COMPLETED'
      ? taskCompleted
      : stored.status === 'CANCELLED'
        ? taskCancelled
        : taskFailed;
  const time = stored.finishedAt ?? deps.clock.now().toISOString();
  await deps.events.publish([
    build({ runId: meta.runId, target: deps.target, time, task: stored, attempt: stored.attempts }),
  ]);
  return deps.journal.countAnswer(meta.runId, command.commandId);
}

type TaskResult = Parameters<Deps['journal']['recordTaskResult']>[1];

/** Bytes of stderr kept with a failed task: its last lines, so a line of megabytes cannot bloat the item. */
const ERROR_CONTEXT_CHARS = 4096;

/** The result that replaces one the journal refused: FAILED, the refusal as its error, no metrics. */
function unrecordedResult(outcome: TaskResult, error: unknown, what = 'recorded'): TaskResult {
  const { metrics: _metrics, errorContext: _context, error: _error, ...rest } = outcome;
  const why = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  return {
    ...rest,
    status: 'FAILED',
    error: `the result could not be ${what}: ${why}`,
    errorType: 'UNRECORDED',
  };
}

/** What every result of this host's task carries, whatever its outcome. */
function resultBase(command: CommandSpec, hostName: string, result: InvocationResult) {
  return {
    workload: command.workload ?? '',
    rep: command.rep ?? 0,
    host: hostName,
    commandId: command.commandId,
    ...(result.finishedAt !== undefined ? { finishedAt: result.finishedAt } : {}),
    ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    ...(result.stdoutRef !== undefined ? { outputRef: result.stdoutRef } : {}),
  };
}

async function taskResult(
  deps: Deps,
  meta: RunMeta,
  command: CommandSpec,
  hostName: string,
  result: InvocationResult,
): Promise<TaskResult> {
  const workload =
    command.workload === undefined ? undefined : findRunWorkload(meta.plan, command.workload, plugins);
  const plugin = workload ? plugins.get(workload.plugin) : undefined;
  const base = resultBase(command, hostName, result);
  const wallMs =
    result.startedAt && result.finishedAt
      ? Date.parse(result.finishedAt) - Date.parse(result.startedAt)
      : undefined;
  const withDuration = (ms: number | undefined) => (ms === undefined ? {} : { durationMs: Math.max(0, ms) });

  switch (result.status) {
    case 'Success': {
      if (!plugin || !workload)
        return { ...base, status: 'FAILED', error: 'unknown workload', errorType: 'INTERNAL' };
      const output = {
        stdout: result.stdoutRef ? await deps.outputs.read(result.stdoutRef, MAX_PARSED_OUTPUT_BYTES) : '',
        stderr: result.stderrRef ? await deps.outputs.read(result.stderrRef, MAX_PARSED_OUTPUT_BYTES) : '',
        exitCode: result.exitCode ?? 0,
      };
      try {
        const metrics: Metric[] = checkMetricLimits(workload.plugin, plugin.parse(output, workload.options));
        const measured = plugin.measuredDurationMs?.(output, workload.options);
        return { ...base, status: 'COMPLETED', metrics, ...withDuration(measured ?? wallMs) };
      } catch (error) {
        if (!(error instanceof PluginOutputError)) throw error;
        return {
          ...base,
          status: 'FAILED',
          error: error.message,
          errorType: 'PLUGIN_OUTPUT',
          ...withDuration(wallMs),
        };
      }
    }
    case 'Cancelled':
      return {
        ...base,
        status: 'CANCELLED',
        error: 'cancelled by a stop request',
        errorType: 'CANCELLED',
        ...withDuration(wallMs),
      };
    case 'TimedOut':
      return {
        ...base,
        status: 'FAILED',
        error: `timed out after ${workload?.timeout ?? meta.plan.timeouts.task}s`,
        errorType: 'TIMEOUT',
        ...withDuration(wallMs),
      };
    default: {
      if (result.error !== undefined) {
        return { ...base, status: 'FAILED', error: result.error, errorType: 'HOST', ...withDuration(wallMs) };
      }
      const stderr = result.stderrRef ? await deps.outputs.read(result.stderrRef, 64 * 1024) : '';
      return {
        ...base,
        status: 'FAILED',
        error: exitError(result.exitCode, stderr, plugin),
        errorType: result.exitCode === 127 ? 'MISSING_TOOL' : 'EXIT_CODE',
        errorContext: lastLines(stderr, 20).slice(-ERROR_CONTEXT_CHARS),
        ...withDuration(wallMs),
      };
    }
  }
}

function exitError(exitCode: number | undefined, stderr: string, plugin: WorkloadPlugin | undefined): string {
  if (exitCode === 127 && plugin && plugin.requires.length > 0) {
    const needs = plugin.requires.map(
      (r) => `${r.binary} (Debian: apt-get install ${r.debian}; Amazon Linux: dnf install ${r.amazonLinux})`,
    );
    return `command not found: install ${needs.join(', ')}`;
  }
  const last = lastLines(stderr, 1);
  return `exit code ${exitCode ?? 'unknown'}${last ? `: ${last.slice(0, 300)}` : ''}`;
}

function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-n)
    .join('\n');
}

/** Every host answered: close the command once and resume the workflow as the failure policy says. */
async function completeStep(deps: Deps, meta: RunMeta, commandId: string): Promise<boolean> {
  const doneAt = deps.clock.now().toISOString();
  // What the command is (cached) and who answered: closeCommand's condition guards against a second close.
  const spec = await deps.journal.getCommandSpec(meta.runId, commandId);
  if (!spec) return false;
  const command = { ...spec, outcomes: await deps.journal.getHostOutcomes(spec) };
  const failed = failedHostNames(command);
  const found = { failedHosts: [...failed], silentHosts: silentHosts(command).map((h) => h.name) };
  if (!(await deps.journal.closeCommand(meta.runId, commandId, doneAt, found))) return false;

  if ((command.phase === 'setup' || command.phase === 'globalSetup') && failed.size > 0) {
    await skipAfterFailedSetup(deps, meta, command, failed);
    await recountTasks(deps, meta.runId, doneAt);
  } else if (command.phase === 'repetition') {
    await deps.catalog.addCounts(meta.runId, countsMoved(Object.values(command.outcomes)), doneAt);
  }
  // The spec is cached; a retried step may have replaced its token since (replaceCommandToken).
  const [summary] = await deps.journal.getCommandSummaries(meta.runId, [commandId]);
  await answerStep(deps, meta, { ...command, taskToken: summary?.taskToken ?? command.taskToken }, failed);
  return true;
}

/**
 * Resumes the workflow after a step ended, through the command's token: StopRequested when the run is
 * stopping, else as the failure policy judges the failed hosts. Also used by run-command when a retried
 * step finds its command already ended.
 */
export async function answerStep(
  deps: Deps,
  meta: RunMeta,
  command: Pick<CommandSpec, 'commandId' | 'phase' | 'workload' | 'hosts' | 'cancellable' | 'taskToken'>,
  failed: ReadonlySet<string>,
): Promise<void> {
  const { commandId } = command;
  const entry = await deps.catalog.get(meta.runId);
  const stopping = entry !== undefined && (entry.stopRequest !== undefined || isStopping(entry.state));
  if (command.cancellable && stopping) {
    await deps.callbacks.failure(command.taskToken, WorkflowErrorName.StopRequested, 'stop requested');
    return;
  }
  const verdict = stepOutcome({
    hostsTotal: command.hosts.length,
    hostsFailed: failed.size,
    policy: meta.plan.failurePolicy,
    phase: command.phase,
  });
  if (verdict.ok) {
    await deps.callbacks.success(command.taskToken, { commandId, failedHosts: [...failed] });
    return;
  }
  // Kept on the run so that no later repetition starts, whatever the engine does with the failed step.
  // In free each host runs its own steps: the policy ends the workload on that host only.
  const host = meta.plan.strategy === 'free' ? command.hosts[0]?.name : undefined;
  const mark = policyFailureMark(meta.attempt, command, verdict.failFast, host);
  if (mark !== undefined) await deps.catalog.recordPolicyFailure(meta.runId, mark);
  await deps.callbacks.failure(
    command.taskToken,
    verdict.failFast ? WorkflowErrorName.FailFast : WorkflowErrorName.StepFailed,
    verdict.reason ?? `${failed.size} of ${command.hosts.length} hosts failed ${command.phase}`,
  );
}

/** How a step's outcomes moved the run's task counts (tasks that did not move are not counted). */
function countsMoved(outcomes: readonly HostOutcome[]): Partial<TaskCounts> {
  const delta: Partial<TaskCounts> = {};
  const bump = (status: TaskStatus, n: number) => {
    const key = status.toLowerCase() as Lowercase<TaskStatus>;
    delta[key] = (delta[key] ?? 0) + n;
  };
  for (const { task } of outcomes) {
    if (task === undefined) continue;
    bump(task.from, -1);
    bump(task.to, 1);
  }
  return delta;
}

/** A host that failed a setup skips the tasks that setup was for; the others go on. */
async function skipAfterFailedSetup(
  deps: Deps,
  meta: RunMeta,
  command: CommandSpec & Pick<CommandRecord, 'outcomes'>,
  failed: ReadonlySet<string>,
): Promise<void> {
  if (failed.size === 0) return;
  const scope = command.phase === 'setup' ? command.workload : undefined;
  const tasks: TaskRecord[] = await deps.journal.listTasks(
    meta.runId,
    scope === undefined ? {} : { workload: scope },
  );
  const what = command.phase === 'setup' ? `setup of workload ${scope}` : 'global setup';
  for (const host of failed) {
    const outcome = command.outcomes[command.hosts.find((h) => h.name === host)?.id ?? ''];
    // A setup a stop cancelled did not fail: its tasks stay to run on resume, not SKIPPED for good.
    if (outcome?.status === 'Cancelled') continue;
    await deps.journal.setTasksStatus(
      meta.runId,
      tasks.filter((t) => t.host === host),
      'SKIPPED',
      `${what} failed on ${host}${outcome?.exitCode !== undefined ? ` (exit code ${outcome.exitCode})` : ''}`,
      { onlyIf: ['PENDING', 'FAILED', 'CANCELLED'] },
    );
  }
}
