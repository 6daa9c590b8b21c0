/**
 * run-command: the workflow's only way to run something on hosts. For one step (global setup, a workload's
 * setup, one repetition, a teardown) it decides which hosts take part, builds the script, marks the tasks
 * RUNNING, records the command with the workflow's task token under `CMD#`, and sends it. It returns at once;
 * on-invocation-status completes the token when every host has answered.
 *
 * Stop semantics live here too: once a stop is requested, cancellable steps (setups, repetitions) refuse to
 * start (Fleetbench.StopRequested, caught by the ASL), while teardowns still run.
 */
import { type CommandStep, commandIdFor, policyMarkEnding } from '../core/command-id.js';
import { type ControllerState, isStopping, isTerminal } from '../core/controller-state.js';
import { ConflictError, FailFastError, StepFailedError, StopRequestedError } from '../core/errors.js';
import { plugins } from '../core/plugins/index.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry, CommandSpec, Host, Phase, RunMeta, TaskRecord } from '../core/run.js';
import { argvToScript } from '../core/shell.js';
import { runnableStatuses } from '../core/task-state.js';
import { findRunWorkload, type RunWorkload, repetitionNumbers } from '../core/workload-variants.js';
import { changeState } from './controller.js';
import { loadRun } from './load-run.js';
import { answerStep } from './on-invocation-status.js';

export type RunCommandInput = {
  readonly runId: string;
  /** The attempt the workflow runs (PlanRun's output): lets the journal serve META from its cache. */
  readonly attempt?: number;
  readonly phase: Phase;
  readonly workload?: string;
  readonly rep?: number;
  /** Free strategy: the step is this host's alone (its own command); absent, the step runs on every host. */
  readonly host?: string;
  readonly taskToken: string;
};

export type RunCommandOutput =
  | { readonly commandId: string; readonly hosts: number }
  | { readonly commandId: null; readonly skipped: string };

export async function runCommand(deps: Deps, input: RunCommandInput): Promise<RunCommandOutput> {
  const { meta, entry } = await loadRun(
    deps,
    input.runId,
    input.attempt === undefined ? {} : { attempt: input.attempt },
  );
  await enterPhase(deps, entry, input.phase, input.workload);
  // Deterministic per attempt, so a retried invocation finds the command it already created; a host's own
  // step (free) names the host, so every host's step is a distinct command.
  const commandId = commandIdFor(stepOf(meta, input));
  if (isCancellable(input.phase)) refuseAfterPolicyFailure(meta, entry, input);
  const step = await prepareStep(deps, meta, input, commandId);
  if ('skipped' in step) {
    // A retried repetition finds its tasks RUNNING under this command: nothing left to start, but the
    // command it sent is still this step's (checked only here and on a conflict: a first send reads nothing).
    const retried =
      input.phase === 'repetition'
        ? await resumeSentCommand(deps, meta, commandId, input.taskToken)
        : undefined;
    if (retried) return retried;
    await deps.callbacks.success(input.taskToken, { commandId: null, skipped: step.skipped });
    return { commandId: null, skipped: step.skipped };
  }
  const command: CommandSpec = {
    runId: meta.runId,
    commandId,
    phase: input.phase,
    ...(input.workload !== undefined ? { workload: input.workload } : {}),
    ...(input.rep !== undefined ? { rep: input.rep } : {}),
    hosts: step.hosts,
    taskToken: input.taskToken,
    cancellable: isCancellable(input.phase),
    sentAt: deps.clock.now().toISOString(),
  };
  try {
    await deps.journal.putCommand(command);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // A retried invocation: if the first attempt sent the command, it answers this attempt's token.
    const retried = await resumeSentCommand(deps, meta, commandId, input.taskToken);
    if (retried) return retried;
    // It never sent it: this attempt's token waits on it now, and this attempt sends it.
    await deps.journal.replaceCommandToken(meta.runId, commandId, input.taskToken);
  }
  if (step.markRunning.length > 0) {
    await deps.journal.markRunning(meta.runId, step.markRunning, commandId, command.sentAt);
  }
  const { providerIds } = await deps.runner.send({
    runId: meta.runId,
    commandId,
    phase: input.phase,
    hosts: step.hosts,
    script: step.script,
    env: step.env,
    hostEnv: step.hostEnv,
    timeoutSeconds: step.timeoutSeconds,
    ...(meta.plan.concurrency !== undefined ? { maxConcurrency: meta.plan.concurrency } : {}),
  });
  if (providerIds.length > 0) await deps.journal.setCommandProviderIds(meta.runId, commandId, providerIds);
  return { commandId, hosts: step.hosts.length };
}

/**
 * A retried invocation (Step Functions retried the Task state after the function failed or timed out)
 * whose command was sent: the previous attempt's token was discarded with it, so the command answers this
 * attempt's token from now on — or, if it already ended, this token is answered at once as the previous
 * one was. Undefined when the command was never sent (a first invocation, or a retry to send it).
 */
async function resumeSentCommand(
  deps: Deps,
  meta: RunMeta,
  commandId: string,
  taskToken: string,
): Promise<RunCommandOutput | undefined> {
  const [existing] = await deps.journal.getCommandSummaries(meta.runId, [commandId]);
  if (!existing || existing.providerIds.length === 0) return undefined;
  const sent = { commandId, hosts: existing.hostCount };
  if (await deps.journal.replaceCommandToken(meta.runId, commandId, taskToken)) return sent;
  const ended = await deps.journal.getCommand(meta.runId, commandId);
  if (ended) await answerStep(deps, meta, { ...ended, taskToken }, new Set(ended.failedHosts ?? []));
  return sent;
}

export function isCancellable(phase: Phase): boolean {
  return phase === 'globalSetup' || phase === 'setup' || phase === 'repetition';
}

const PHASE_STATE: Record<Phase, ControllerState> = {
  globalSetup: 'RUNNING_GLOBAL_SETUP',
  setup: 'RUNNING_WORKLOADS',
  repetition: 'RUNNING_WORKLOADS',
  teardown: 'RUNNING_WORKLOADS',
  globalTeardown: 'RUNNING_GLOBAL_TEARDOWN',
};

const PHASE_LABEL: Record<Phase, string> = {
  globalSetup: 'global setup',
  setup: 'setup',
  repetition: 'repetition',
  teardown: 'teardown',
  globalTeardown: 'global teardown',
};

/** Records the phase in the controller state, or refuses a cancellable step when the run is stopping. */
async function enterPhase(deps: Deps, entry: CatalogEntry, phase: Phase, workload?: string): Promise<void> {
  const stopping = entry.stopRequest !== undefined || isStopping(entry.state) || isTerminal(entry.state);
  if (stopping) {
    if (isCancellable(phase))
      throw new StopRequestedError(`run ${entry.runId} is stopping: ${phase} not started`);
    if (phase === 'globalTeardown') {
      await changeState(deps, entry.runId, {
        to: 'STOPPING_TEARDOWN',
        reason: 'stop confirmed, running global teardown',
        onlyFrom: ['INIT', 'STOPPING_INTERRUPT_SETUP', 'STOPPING_WAIT_RUNNERS', 'STOP_ARMED'],
      });
    }
    return;
  }
  const to = PHASE_STATE[phase];
  if (entry.state !== to) {
    await changeState(deps, entry.runId, {
      to,
      reason: `${PHASE_LABEL[phase]}${workload ? ` of ${workload}` : ''} started`,
    });
  }
}

type Step =
  | { readonly skipped: string }
  | {
      readonly hosts: Host[];
      readonly script: string;
      readonly env: Record<string, string>;
      readonly hostEnv: Record<string, Record<string, string>>;
      readonly timeoutSeconds: number;
      readonly markRunning: Awaited<ReturnType<Deps['journal']['listTasks']>>;
    };

/** The step an invocation asks for, in the attempt the run is at. */
function stepOf(meta: RunMeta, input: RunCommandInput): CommandStep {
  return {
    attempt: meta.attempt,
    phase: input.phase,
    ...(input.workload !== undefined ? { workload: input.workload } : {}),
    ...(input.rep !== undefined ? { rep: input.rep } : {}),
    ...(input.host !== undefined ? { host: input.host } : {}),
  };
}

/**
 * The failure policy holds across steps: after fail-fast fired nothing else starts, and after a repetition
 * failed on more hosts than maxFailedPercent the rest of that workload does not start. on-invocation-status
 * marks such a step on the run (policyFailures); Step Functions would not start the next steps either, the
 * local interpreter may, so the rule lives here for both.
 */
function refuseAfterPolicyFailure(meta: RunMeta, entry: CatalogEntry, input: RunCommandInput): void {
  const ending = policyMarkEnding(entry.policyFailures ?? [], stepOf(meta, input));
  if (ending === 'failFast')
    throw new FailFastError(`fail-fast: a task failed earlier; ${PHASE_LABEL[input.phase]} not started`);
  // In free, maxFailedPercent applies to each host's own steps: another host's failures end nothing here.
  if (ending === 'workload') {
    throw new StepFailedError(
      `workload ${input.workload} ended: too many hosts failed an earlier repetition (maxFailedPercent ${meta.plan.failurePolicy.maxFailedPercent})`,
    );
  }
}

async function prepareStep(
  deps: Deps,
  meta: RunMeta,
  input: RunCommandInput,
  commandId: string,
): Promise<Step> {
  const { plan } = meta;
  const workload = input.workload === undefined ? undefined : findWorkload(meta, input.workload);
  const excluded = new Set(meta.excludedHosts.map((e) => e.host.name));
  const reachable = meta.hosts.filter((h) => !excluded.has(h.name));
  const ofThisStep = reachable.filter((h) => input.host === undefined || h.name === input.host);
  // Hosts that failed global setup sit out the workloads. Repetitions leave them out without reading the
  // commands (their tasks are already SKIPPED); workload setups and teardowns read who failed it.
  const withoutFailedGlobalSetup = async (): Promise<Host[]> => {
    const [globalSetup] = await deps.journal.getCommandSummaries(meta.runId, [
      commandIdFor({ attempt: meta.attempt, phase: 'globalSetup' }),
    ]);
    const failed = new Set(globalSetup?.failedHosts ?? []);
    return ofThisStep.filter((h) => !failed.has(h.name));
  };
  // The marker of every command: the local engine finds what an earlier attempt left running by it.
  const baseEnv = {
    ...plan.env,
    FLEETBENCH_RUN_ID: meta.runId,
    FLEETBENCH_ATTEMPT: String(meta.attempt),
    FLEETBENCH_COMMAND_ID: commandId,
  };
  const hostEnv = (hosts: readonly Host[]) =>
    Object.fromEntries(hosts.map((h) => [h.id, { FLEETBENCH_HOST: h.name }]));
  const timeoutSeconds = workload?.timeout ?? plan.timeouts.task;

  switch (input.phase) {
    case 'globalSetup':
      return shellStep(plan.setup, reachable, 'no global setup', {
        env: baseEnv,
        hostEnv,
        timeoutSeconds,
        stopOnError: true,
      });
    case 'globalTeardown':
      return shellStep(plan.teardown, reachable, 'no global teardown', {
        env: baseEnv,
        hostEnv,
        timeoutSeconds,
        stopOnError: false,
      });
    case 'setup': {
      const w = requireWorkload(workload);
      if (w.setup.length === 0) return { skipped: 'no workload setup' };
      if (!(await hasWorkToDo(deps, meta, w, input.host)))
        return { skipped: `workload ${w.name} has no task to run: only its unfinished teardown runs again` };
      return shellStep(w.setup, await withoutFailedGlobalSetup(), 'no workload setup', {
        env: { ...baseEnv, FLEETBENCH_WORKLOAD: w.name },
        hostEnv,
        timeoutSeconds,
        stopOnError: true,
      });
    }
    case 'teardown': {
      const w = requireWorkload(workload);
      if (w.teardown.length === 0) return { skipped: 'no workload teardown' };
      // Tear down only what was started: a workload that a stop prevented from starting has nothing to undo.
      // Its commands' ids are known (setup, each repetition, on this host in free): read just those.
      const onHost = input.host === undefined ? {} : { host: input.host };
      const ids = [
        commandIdFor({ attempt: meta.attempt, phase: 'setup', workload: w.name, ...onHost }),
        ...repetitionNumbers(w).map((rep) =>
          commandIdFor({ attempt: meta.attempt, phase: 'repetition', workload: w.name, rep, ...onHost }),
        ),
      ];
      const started = (await deps.journal.getCommandSummaries(meta.runId, ids)).length > 0;
      if (!started && !(await teardownOwed(deps, meta, w.name, input.host)))
        return { skipped: `workload ${w.name} did not start` };
      return shellStep(w.teardown, await withoutFailedGlobalSetup(), 'no workload teardown', {
        env: { ...baseEnv, FLEETBENCH_WORKLOAD: w.name },
        hostEnv,
        timeoutSeconds,
        stopOnError: false,
      });
    }
    case 'repetition': {
      const w = requireWorkload(workload);
      const rep = input.rep ?? 1;
      const statuses = runnableStatuses({ onlyFailed: meta.onlyFailed === true });
      const activeNames = new Set(ofThisStep.map((h) => h.name));
      // In free a step is one host's: read its task, not the whole fleet's repetition.
      const candidates =
        input.host === undefined
          ? await deps.journal.listTasks(meta.runId, { workload: w.name, rep })
          : [await deps.journal.getTask(meta.runId, { workload: w.name, rep, host: input.host })];
      const tasks = candidates.filter(
        (t): t is TaskRecord =>
          t !== undefined &&
          statuses.includes(t.status) &&
          activeNames.has(t.host) &&
          t.commandId !== commandId,
      );
      if (tasks.length === 0) return { skipped: `nothing to run for ${w.name} repetition ${rep}` };
      const byName = new Map(meta.hosts.map((h) => [h.name, h]));
      const hosts = tasks.map((t) => byName.get(t.host)).filter((h): h is Host => h !== undefined);
      const plugin = plugins.get(w.plugin);
      if (!plugin) throw new Error(`unknown plugin ${w.plugin}`);
      const first = tasks[0];
      const command = plugin.command(w.options, { workload: w.name, rep, seed: first?.seed ?? '0' });
      const body = 'argv' in command ? argvToScript(command.argv) : command.script;
      const seeds = new Map(tasks.map((t) => [t.host, t]));
      return {
        hosts,
        script: body,
        env: { ...baseEnv, ...peerEnv(meta, w), FLEETBENCH_WORKLOAD: w.name, FLEETBENCH_REP: String(rep) },
        hostEnv: Object.fromEntries(
          hosts.map((h) => {
            const t = seeds.get(h.name);
            return [
              h.id,
              { FLEETBENCH_HOST: h.name, FLEETBENCH_SEED: t?.seed ?? '0', FLEETBENCH_TASK_KEY: t?.key ?? '' },
            ];
          }),
        ),
        timeoutSeconds,
        markRunning: tasks,
      };
    }
  }
}

/** Whether the workload has a task to run in this attempt (on `host` alone in free). */
async function hasWorkToDo(deps: Deps, meta: RunMeta, w: RunWorkload, host?: string): Promise<boolean> {
  const statuses = runnableStatuses({ onlyFailed: meta.onlyFailed === true });
  const tasks = await deps.journal.listTasks(meta.runId, { workload: w.name });
  return tasks.some((t) => statuses.includes(t.status) && (host === undefined || t.host === host));
}

/**
 * Whether the latest earlier attempt that ran this teardown (on `host` in free) left it unfinished: the
 * engine died during it, so it runs again, even if nothing else of the workload does.
 */
async function teardownOwed(deps: Deps, meta: RunMeta, workload: string, host?: string): Promise<boolean> {
  if (meta.attempt <= 1) return false;
  const ids = Array.from({ length: meta.attempt - 1 }, (_, i) =>
    commandIdFor({
      attempt: meta.attempt - 1 - i,
      phase: 'teardown',
      workload,
      ...(host !== undefined ? { host } : {}),
    }),
  );
  const found = new Map(
    (await deps.journal.getCommandSummaries(meta.runId, ids)).map((c) => [c.commandId, c]),
  );
  const latest = ids.map((id) => found.get(id)).find((c) => c !== undefined);
  return latest !== undefined && latest.status !== 'DONE';
}

function shellStep(
  lines: readonly string[],
  hosts: Host[],
  emptyReason: string,
  options: {
    env: Record<string, string>;
    hostEnv: (hosts: readonly Host[]) => Record<string, Record<string, string>>;
    timeoutSeconds: number;
    stopOnError: boolean;
  },
): Step {
  if (lines.length === 0) return { skipped: emptyReason };
  if (hosts.length === 0) return { skipped: 'no host left to run on' };
  return {
    hosts,
    script: options.stopOnError ? setupScript(lines) : teardownScript(lines),
    env: options.env,
    hostEnv: options.hostEnv(hosts),
    timeoutSeconds: options.timeoutSeconds,
    markRunning: [],
  };
}

/** Setup stops at the first failing command: later commands usually depend on earlier ones. */
export function setupScript(lines: readonly string[]): string {
  return ['set -e', ...lines].join('\n');
}

/** Teardown runs every command whatever happens, and fails if any of them failed. */
export function teardownScript(lines: readonly string[]): string {
  return [
    '__fleetbench_rc=0',
    ...lines.map((l) => `{\n${l}\n} || __fleetbench_rc=$?`),
    'exit $__fleetbench_rc',
  ].join('\n');
}

/** Workloads whose hosts talk to each other learn their peer's address (iperf3: the server's). */
function peerEnv(meta: RunMeta, workload: RunWorkload): Record<string, string> {
  const server = workload.plugin === 'iperf3' ? (workload.options as { server?: unknown }).server : undefined;
  if (typeof server !== 'string') return {};
  const host = meta.hosts.find((h) => h.name === server);
  return host?.address ? { FLEETBENCH_IPERF3_SERVER: host.address } : {};
}

/** A workload of the run by name: a plan's workload, or a variant of one with a matrix. */
function findWorkload(meta: RunMeta, name: string): RunWorkload {
  const w = findRunWorkload(meta.plan, name, plugins);
  if (!w) throw new Error(`workload ${name} is not in the plan`);
  return w;
}

function requireWorkload(w: RunWorkload | undefined): RunWorkload {
  if (!w) throw new Error('this phase needs a workload');
  return w;
}
