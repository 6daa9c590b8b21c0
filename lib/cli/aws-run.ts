import { errorName } from '../adapters/aws/retry.js';
import type { PlanRunInput } from '../app/plan-run.js';
import { isOfAttempt } from '../core/command-id.js';
import { isStopping, isTerminal } from '../core/controller-state.js';
import { EngineError, RunStateError, UsageError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { CatalogEntry, CommandSummary } from '../core/run.js';
import { newRunId } from '../core/task-key.js';
import { countByStatus } from '../core/task-state.js';
import type { AwsBackend } from './backend.js';
import { reportFinalRun } from './execute-run.js';
import { type InterruptWatch, watchInterrupts } from './interrupts.js';
import { CliExit, type Io, StdoutClosedError, tryOut } from './io.js';
import { INTERRUPTED_STATUS } from './process-exit.js';
import { Progress, progressIntervalMs } from './progress.js';

export type AwsRunInput =
  | { readonly plan: Plan; readonly runId?: string; readonly keepHosts?: boolean }
  | { readonly resume: NonNullable<PlanRunInput['resume']> };

export type AwsRunOptions = { readonly json: boolean; readonly detach: boolean };

/** Step Functions execution names: at most 80 characters. */
const MAX_EXECUTION_NAME = 80;

/** Lambda error types that mean the input was wrong (exit 2), not that something broke. */
const INPUT_ERRORS = new Set(['UsageError', 'PlanValidationError', 'ConflictError', 'RunStateError']);

/**
 * Local hosts cannot run on the stack; checked before anything is started (the plan-run function would
 * reject them too, after the execution started). Everything else about the hosts is the stack's to judge.
 * @throws UsageError
 */
export function assertAwsHosts(plan: Plan): void {
  if ('local' in plan.hosts) {
    throw new UsageError('local hosts cannot run on the aws target', {
      hint: 'use hosts: {instanceIds: [...]} or {tags: {...}}, or run with --target local',
    });
  }
}

/**
 * @example
 * await withBackend(io, command, (backend) => executeAwsRun(io, backend, { plan }, { json: false, detach: false }));
 */
export async function executeAwsRun(
  io: Io,
  backend: AwsBackend,
  input: AwsRunInput,
  options: AwsRunOptions,
): Promise<void> {
  const { store, stack } = backend;
  // Checked before the execution starts: a bad value must not leave a run going.
  const heartbeatMs = progressIntervalMs(io.env);
  const { runId, attempt, name, executionInput } = await executionFor(backend, input);
  let executionArn: string;
  try {
    executionArn = await stack.executions.start(executionInput, name);
  } catch (error) {
    if (errorName(error) === 'ExecutionAlreadyExists') {
      throw new UsageError(`run id ${runId} was already used by an execution of stack ${stack.stackName}`, {
        hint: 'leave out --run-id to get a new one',
        cause: error,
      });
    }
    throw error;
  }

  if (options.detach) {
    if (options.json) io.out(`${JSON.stringify({ runId, executionArn }, null, 2)}\n`);
    else {
      io.out(`${'plan' in input ? 'Started' : 'Resuming'} run ${io.colours.out.bold(runId)}\n`);
      io.err(
        `Detached: the run goes on in stack ${stack.stackName}.\n` +
          `  follow:  fleetbench status ${runId} --target aws\n` +
          `  stop:    fleetbench stop ${runId} --target aws\n`,
      );
    }
    return;
  }
  // As locally, a reader of stdout that has gone does not end the following before the run ends.
  const shown =
    options.json ||
    tryOut(io, `${'plan' in input ? 'Started' : 'Resuming'} run ${io.colours.out.bold(runId)}\n`);

  const progress = new Progress(io, { heartbeatMs });
  // Hosts may take minutes to provision before the run has tasks: progress shows (and beats) from now on.
  progress.show();
  const interrupts = handleInterrupts(io, backend, runId, progress);
  try {
    await follow(backend, { runId, attempt, executionArn }, progress);
    progress.stop();
    if (!shown) throw interrupts.stoppedByCtrlC() ? new CliExit(INTERRUPTED_STATUS) : new StdoutClosedError();
    await reportFinalRun(io, store, runId, { ...options, interrupts });
  } finally {
    progress.stop();
    interrupts.unsubscribe();
  }
}

/** The execution to start: its name, its input, and which attempt of the run it is. */
async function executionFor(
  { store }: AwsBackend,
  input: AwsRunInput,
): Promise<{ runId: string; attempt: number; name: string; executionInput: unknown }> {
  if ('plan' in input) {
    assertAwsHosts(input.plan);
    const runId = input.runId ?? newRunId(input.plan.name, new Date(), Math.random);
    if (runId.length > MAX_EXECUTION_NAME) {
      throw new UsageError(`run id ${runId} is longer than ${MAX_EXECUTION_NAME} characters`, {
        hint: 'on aws the run id names the Step Functions execution: choose a shorter --run-id',
      });
    }
    const keep = input.keepHosts ? { keepHosts: true } : {};
    return { runId, attempt: 1, name: runId, executionInput: { plan: input.plan, runId, ...keep } };
  }
  const { runId } = input.resume;
  const [meta, entry] = await Promise.all([store.journal.getRun(runId), store.catalog.get(runId)]);
  if (!meta || !entry) throw new RunStateError(`run ${runId} has no journal to resume`);
  if (!isTerminal(entry.state)) {
    throw new RunStateError(`run ${runId} is still ${entry.state}`, {
      hint: `wait for it to end, or stop it with \`fleetbench stop ${runId} --target aws\``,
    });
  }
  const attempt = meta.attempt + 1;
  return {
    runId,
    attempt,
    // Execution names are unique per state machine for 90 days: each attempt gets its own.
    name: `${runId.slice(0, 60)}-a${attempt}-${Date.now().toString(36)}`,
    executionInput: { resume: input.resume },
  };
}

/**
 * Polls until the attempt's run reaches a terminal state. An execution that ends first either failed
 * before creating the run (its error is reported) or died without finalizing it (the reconciler will mark
 * it FAILED; the summary shows where it stopped).
 */
async function follow(
  backend: AwsBackend,
  run: { readonly runId: string; readonly attempt: number; readonly executionArn: string },
  progress: Progress,
): Promise<void> {
  const { store, stack } = backend;
  let totalSet = false;
  for (;;) {
    const entry = await store.catalog.get(run.runId);
    // plan-run records the execution on the catalog entry: until then (a resume still shows the previous
    // attempt's end), the entry is not this execution's.
    if (entry?.executionArn === run.executionArn) {
      const tasks = await store.journal.listTasks(run.runId);
      const counts = countByStatus(tasks);
      // plan-run writes the catalog entry before the tasks.
      if (!totalSet && tasks.length > 0) {
        progress.setTotal(tasks.length, counts.completed + counts.skipped);
        totalSet = true;
      }
      progress.setCounts({
        done: counts.completed + counts.skipped + counts.failed,
        failed: counts.failed,
        cancelled: counts.cancelled,
      });
      const commands = (await store.journal.listCommands(run.runId)).filter((c) =>
        isOfAttempt(c.commandId, run.attempt),
      );
      progress.setPhase(phaseOf(entry, commands));
      if (isTerminal(entry.state)) return;
    }
    const execution = await stack.executions.describe(run.executionArn);
    if (execution.status !== 'RUNNING') {
      // The execution may have finalized the run since it was read.
      const latest = await store.catalog.get(run.runId);
      if (latest?.executionArn === run.executionArn) {
        if (!isTerminal(latest.state)) {
          progress.note(
            `The execution ended ${execution.status} with run ${run.runId} still ${latest.state}: the reconciler marks it FAILED within 5 minutes; then resume it with \`fleetbench resume ${run.runId} --target aws\`.`,
          );
        }
        return;
      }
      throw await couldNotStart(backend, run.runId, run.executionArn, execution.status);
    }
    await store.clock.sleep(backend.pollMs);
  }
}

/** The error of an execution that ended before its run was created (or resumed). */
async function couldNotStart(
  backend: AwsBackend,
  runId: string,
  executionArn: string,
  status: string,
): Promise<Error> {
  const failure = await backend.stack.executions.taskFailure(executionArn);
  const hint = `see the "Plan run" step of execution ${executionArn} in the Step Functions console`;
  const message = `run ${runId} could not start: ${failure?.cause ?? `the execution ended ${status}`}`;
  return failure && INPUT_ERRORS.has(failure.error)
    ? new UsageError(message, { hint })
    : new EngineError(message, { hint });
}

/**
 * What the run is doing, as the progress line shows it (the local engine's labels): `stopping` once a stop
 * is under way, else the latest step sent, else `planning`.
 */
export function phaseOf(entry: CatalogEntry, commands: readonly CommandSummary[]): string {
  if (entry.stopRequest !== undefined || isStopping(entry.state)) return 'stopping';
  const latest = commands.toSorted((a, b) => a.sentAt.localeCompare(b.sentAt)).at(-1);
  if (!latest) return 'planning';
  if (latest.phase === 'repetition') return `${latest.workload} rep ${latest.rep}`;
  return latest.workload ? `${latest.phase} ${latest.workload}` : latest.phase;
}

function handleInterrupts(io: Io, backend: AwsBackend, runId: string, progress: Progress): InterruptWatch {
  return watchInterrupts(io, progress, {
    armNote: '; the run goes on on AWS if this command ends',
    requestStop: (by, reason) => backend.stack.requestStop({ runId, requestedBy: by, reason }),
    leaveVerb: 'leaves',
    leaveMessage: () =>
      `Left at once: the run goes on in stack ${backend.stack.stackName}.\n` +
      `  follow:  fleetbench status ${runId} --target aws\n` +
      `  stop:    fleetbench stop ${runId} --target aws --force\n`,
  });
}
