/**
 * The records a run is made of, as the journal and the catalog store them (DESIGN.md, "Data model").
 * Plain data: repositories persist them, use cases build them, the CLI prints them.
 */
import type { ControllerState } from './controller-state.js';
import type { Plan } from './plan.js';
import type { Metric } from './plugins/types.js';
import type { TaskCounts, TaskStatus } from './task-state.js';

export type Target = 'local' | 'aws';

/** A host as the workflow sees it: `id` addresses it (instance id, local worker id), `name` is used in task keys. */
export type Host = {
  readonly id: string;
  readonly name: string;
  /** Where other hosts reach it (private IP on aws, 127.0.0.1 locally), for peer workloads such as iperf3. */
  readonly address?: string;
};

/** Phases of the workflow that send commands. */
export const PHASES = ['globalSetup', 'setup', 'repetition', 'teardown', 'globalTeardown'] as const;
export type Phase = (typeof PHASES)[number];

/** Journal `SK=META`: the validated plan snapshot, so `resume` rehydrates exactly what ran. */
export type RunMeta = {
  readonly runId: string;
  readonly plan: Plan;
  readonly planHash: string;
  readonly target: Target;
  readonly hosts: readonly Host[];
  /** Hosts excluded at PlanRun (unreachable), with the reason. */
  readonly excludedHosts: readonly { host: Host; reason: string }[];
  /** 1 for the first execution, +1 on every resume; command ids carry it so they never collide. */
  readonly attempt: number;
  /** Set by `resume --only-failed`: this attempt re-runs FAILED and CANCELLED tasks only. */
  readonly onlyFailed?: boolean;
  /**
   * `--keep-hosts`: ephemeral hosts (`hosts: {provision}`) are left running when the run ends, and the
   * reconciler leaves them alone. They cost money until terminated by hand (docs/hosts.md).
   */
  readonly keepHosts?: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
};

/** Journal `SK=TASK#<workload>#<rep:04>#<host>`. */
export type TaskRecord = {
  readonly key: string;
  readonly host: string;
  readonly workload: string;
  readonly rep: number;
  /** A warm-up repetition (workload-variants.ts): journaled like any task, left out of the statistics. */
  readonly warmup?: true;
  readonly status: TaskStatus;
  readonly attempts: number;
  readonly seed: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly exitCode?: number;
  readonly error?: string;
  readonly errorType?: string;
  readonly errorContext?: string;
  readonly metrics?: readonly Metric[];
  readonly outputRef?: string;
  readonly commandId?: string;
  /** The status the task had when it last started running (PENDING; FAILED, CANCELLED or RUNNING on a re-run). */
  readonly previousStatus?: TaskStatus;
};

/** The outcome of one host in one command, kept in the journal beside the command. */
export type HostOutcome = {
  readonly status: InvocationStatus;
  readonly exitCode?: number;
  readonly error?: string;
  /** Where the host's stdout is kept (its stderr is next to it: the same ref ending in `stderr`). */
  readonly outputRef?: string;
  /** A repetition's task moved by this outcome: from the status it had before it ran, to its result. */
  readonly task?: { readonly from: TaskStatus; readonly to: TaskStatus };
};

/**
 * What a command is, fixed when it is sent (journal `SK=CMD#<commandId>` and its host parts): the step it
 * runs, on which hosts, and the task token that resumes the workflow. Never changes, so it may be cached.
 */
export type CommandSpec = {
  readonly runId: string;
  readonly commandId: string;
  readonly phase: Phase;
  readonly workload?: string;
  readonly rep?: number;
  readonly hosts: readonly Host[];
  readonly taskToken: string;
  /** Workload repetitions and setups may be cancelled by a stop; teardowns never. */
  readonly cancellable: boolean;
  readonly sentAt: string;
};

/**
 * Journal `SK=CMD#<commandId>`: a command as `listCommands` reads it, without its hosts and their outcomes,
 * so the item stays small whatever the fleet (it is updated once per host answer).
 */
export type CommandSummary = Omit<CommandSpec, 'hosts'> & {
  readonly status: 'SENT' | 'DONE';
  readonly hostCount: number;
  /** Hosts that have answered (each host's outcome is counted once). */
  readonly answered: number;
  /** Ids the command runner gave the command (SSM CommandIds), used to cancel it. */
  readonly providerIds: readonly string[];
  readonly doneAt?: string;
  /** Set when the command closes: hosts whose outcome is a failure, hosts that never answered. */
  readonly failedHosts?: readonly string[];
  readonly silentHosts?: readonly string[];
};

/** A command with its hosts and every outcome recorded so far, keyed by host id. */
export type CommandRecord = CommandSummary & {
  readonly hosts: readonly Host[];
  readonly outcomes: Readonly<Record<string, HostOutcome>>;
};

/**
 * A repetition's task as its host's outcome on the command: the task item is the outcome (a repetition
 * writes no outcome item of its own). Undefined while the task has no result under that command.
 */
export function taskOutcome(task: TaskRecord, commandId: string): HostOutcome | undefined {
  if (task.commandId !== commandId) return undefined;
  const status: InvocationStatus | undefined =
    task.status === 'COMPLETED'
      ? 'Success'
      : task.status === 'CANCELLED'
        ? 'Cancelled'
        : task.status === 'FAILED'
          ? task.errorType === 'TIMEOUT'
            ? 'TimedOut'
            : 'Failed'
          : undefined;
  if (status === undefined) return undefined;
  return {
    status,
    ...(task.exitCode !== undefined ? { exitCode: task.exitCode } : {}),
    ...(task.error !== undefined ? { error: task.error } : {}),
    task: { from: task.previousStatus ?? 'PENDING', to: task.status },
  };
}

/** Journal `SK=STATE#<iso-ts>#<seq>`: the audit trail of every controller state change. */
export type StateRecord = {
  readonly at: string;
  readonly seq: number;
  readonly from: ControllerState | null;
  readonly to: ControllerState;
  readonly reason: string;
};

export type StopRequest = {
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly force: boolean;
};

/** Catalog `PK=<runId>`: one line per run for listing; the journal holds the detail. */
export type CatalogEntry = {
  readonly runId: string;
  readonly name: string;
  readonly state: ControllerState;
  /** The state STOP_ARMED was entered from, so a disarm can go back to it. */
  readonly previousState?: ControllerState;
  readonly target: Target;
  readonly hosts: readonly string[];
  readonly workloads: readonly string[];
  readonly counts: TaskCounts;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  readonly executionArn?: string;
  /** Who runs the engine locally (`pid@hostname`), so a dead engine can be recognised. */
  readonly engine?: string;
  readonly stopRequest?: StopRequest;
  readonly reason?: string;
  /**
   * Steps the failure policy ended, as `a<attempt>.<workload>` (that workload's repetitions stop) or
   * `a<attempt>.*` (fail-fast: nothing cancellable starts). Read by run-command before it starts a step.
   */
  readonly policyFailures?: readonly string[];
};

/** SSM's invocation statuses; the local runner uses the same words. */
export const INVOCATION_STATUSES = [
  'Pending',
  'InProgress',
  'Delayed',
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Cancelling',
  'Undeliverable',
  'Terminated',
] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];

export const TERMINAL_INVOCATION_STATUSES: readonly InvocationStatus[] = [
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Undeliverable',
  'Terminated',
];

/** One host's result for one command, as a command runner reports it. */
export type InvocationResult = {
  readonly runId: string;
  readonly commandId: string;
  readonly hostId: string;
  readonly status: InvocationStatus;
  readonly exitCode?: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /**
   * Where the full stdout/stderr are (file path locally; on aws `ssm:` for the output the invocation
   * returns itself, `s3://…` for one SSM could not return whole; OutputStore.keep makes the first durable).
   */
  readonly stdoutRef?: string;
  readonly stderrRef?: string;
  /** Why the runner could not run the command at all (host gone, spawn failed). */
  readonly error?: string;
};
