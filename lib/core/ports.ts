/**
 * The interfaces the use cases need. Adapters in lib/adapters/{aws,local} implement them; use cases
 * receive them as one `Deps` object, so a Lambda and the local engine run the same code.
 */
import type { CloudEvent } from './cloudevents.js';
import type { ControllerState } from './controller-state.js';
import type { HostObservation, HostRecord } from './host-lifecycle.js';
import type {
  CatalogEntry,
  CommandRecord,
  CommandSpec,
  CommandSummary,
  Host,
  HostOutcome,
  InvocationResult,
  Phase,
  RunMeta,
  StateRecord,
  StopRequest,
  TaskRecord,
} from './run.js';
import type { TaskCounts, TaskStatus } from './task-state.js';

/** The per-run journal (DynamoDB table, one partition per run). Every single-item write is conditional. */
export interface JournalRepo {
  /** Creates META; fails with ConflictError if the run exists. */
  createRun(meta: RunMeta): Promise<void>;
  /**
   * Reads META. With `attempt`, META of that attempt may come from a cache (it never changes within an
   * attempt: a resume writes a new one under the next attempt number).
   */
  getRun(runId: string, options?: { attempt?: number }): Promise<RunMeta | undefined>;
  /** Replaces META for a resume: condition `attempt = meta.attempt - 1`. */
  updateRunForResume(meta: RunMeta): Promise<void>;
  /** Writes the initial PENDING tasks of a new run (BatchWriteItem; the run's META guards uniqueness). */
  putTasks(runId: string, tasks: readonly TaskRecord[]): Promise<void>;
  listTasks(runId: string, filter?: { workload?: string; rep?: number }): Promise<TaskRecord[]>;
  getTask(
    runId: string,
    task: Pick<TaskRecord, 'workload' | 'rep' | 'host'>,
  ): Promise<TaskRecord | undefined>;
  /** Marks a whole batch RUNNING for `commandId` (one BatchWriteItem per 25 tasks). */
  markRunning(
    runId: string,
    tasks: readonly TaskRecord[],
    commandId: string,
    startedAt: string,
  ): Promise<void>;
  /**
   * Records a task's outcome. Applied only if the task is RUNNING under `commandId`
   * (a duplicate or late event, or a COMPLETED task, is left unchanged). Returns the task as stored
   * when it applied, undefined when it did not.
   */
  recordTaskResult(
    runId: string,
    result: Pick<TaskRecord, 'workload' | 'rep' | 'host' | 'status'> &
      Partial<Omit<TaskRecord, 'key' | 'workload' | 'rep' | 'host' | 'status'>> & { commandId: string },
  ): Promise<TaskRecord | undefined>;
  /** Sets tasks that are not COMPLETED to `status` (SKIPPED, CANCELLED) with a reason; conditional per task. */
  setTasksStatus(
    runId: string,
    tasks: readonly Pick<TaskRecord, 'workload' | 'rep' | 'host'>[],
    status: Extract<TaskStatus, 'SKIPPED' | 'CANCELLED' | 'PENDING' | 'FAILED'>,
    reason: string,
    options?: { onlyIf?: readonly TaskStatus[] },
  ): Promise<number>;
  /** Creates the command (status SENT, nobody answered); fails with ConflictError if it exists. */
  putCommand(command: CommandSpec): Promise<void>;
  /** What the command is (never changes once written, so adapters may cache it). */
  getCommandSpec(runId: string, commandId: string): Promise<CommandSpec | undefined>;
  /** The command with its hosts and every outcome recorded so far. */
  getCommand(runId: string, commandId: string): Promise<CommandRecord | undefined>;
  /** Every outcome recorded so far for the command, by host id. */
  getHostOutcomes(spec: CommandSpec): Promise<Record<string, HostOutcome>>;
  /** Every command of the run, without hosts and outcomes. */
  listCommands(runId: string): Promise<CommandSummary[]>;
  /** The commands among `commandIds` that exist, without hosts and outcomes. */
  getCommandSummaries(runId: string, commandIds: readonly string[]): Promise<CommandSummary[]>;
  /** Records the ids the runner gave the command, each findable with findCommandByProviderId. */
  setCommandProviderIds(runId: string, commandId: string, providerIds: readonly string[]): Promise<void>;
  /**
   * The command a runner id (an SSM CommandId) belongs to; undefined for an id fleetbench never recorded
   * (another tool's command, whose status events reach the stack's rules too).
   */
  findCommandByProviderId(providerId: string): Promise<{ runId: string; commandId: string } | undefined>;
  /**
   * Gives a command still SENT the token of a retried step (the retried Task state's new token; the
   * previous attempt's is dead). Returns false when the command has already ended.
   */
  replaceCommandToken(runId: string, commandId: string, taskToken: string): Promise<boolean>;
  /**
   * Records one host's outcome on a command that is not a repetition (a repetition's outcomes are its
   * tasks, recorded by recordTaskResult), once (condition: that host has no outcome yet), and counts it.
   * Returns how many hosts have answered, or undefined when the outcome was already recorded.
   */
  recordHostOutcome(
    runId: string,
    commandId: string,
    hostId: string,
    outcome: HostOutcome,
  ): Promise<{ answered: number; hostCount: number } | undefined>;
  /** Counts one more host answer (after recordTaskResult applied a repetition's result). */
  countAnswer(runId: string, commandId: string): Promise<{ answered: number; hostCount: number }>;
  /**
   * Counts the recorded outcomes again and raises the answered count to it: the repair for an outcome
   * recorded by a process that died before counting it. Undefined when there is no such command.
   */
  recountHostOutcomes(
    runId: string,
    commandId: string,
  ): Promise<{ answered: number; hostCount: number } | undefined>;
  /** SENT -> DONE, once, with what the close found; returns false if another caller already closed it. */
  closeCommand(
    runId: string,
    commandId: string,
    doneAt: string,
    found: { readonly failedHosts: readonly string[]; readonly silentHosts: readonly string[] },
  ): Promise<boolean>;
  appendState(runId: string, record: StateRecord): Promise<void>;
  listStates(runId: string): Promise<StateRecord[]>;
  /**
   * Applies an observed ephemeral-host state to `HOST#<instanceId>` (host-lifecycle.ts): creates the record,
   * or moves it with the condition `state = <the state read>`; a repeated or stale observation changes
   * nothing. Returns the record written, or undefined when nothing changed.
   * @throws IllegalHostTransitionError for a move the lifecycle table forbids
   */
  recordHostState?(runId: string, observation: HostObservation): Promise<HostRecord | undefined>;
  /** The run's ephemeral hosts, with their state history. */
  listHostRecords?(runId: string): Promise<HostRecord[]>;
  /**
   * Deletes every item of the run (`rm --purge`): its partition, and the items that map its runner ids to
   * it (so a late status event of one of its commands is dropped as another tool's), META last — a purge
   * cut short still finds the run. Returns how many items were deleted. Only for a run the catalog no longer
   * holds: nothing writes to such a run's journal.
   */
  deleteRun(runId: string): Promise<number>;
}

/** The run catalog (DynamoDB table, PK=runId, GSI byCreatedAt). */
export interface CatalogRepo {
  create(entry: CatalogEntry): Promise<void>;
  get(runId: string): Promise<CatalogEntry | undefined>;
  /** Newest first. */
  list(options?: { limit?: number }): Promise<CatalogEntry[]>;
  /**
   * Moves the controller state: condition `state = from`. Throws ConflictError when the stored
   * state is not `from` (someone else moved it).
   */
  updateState(
    runId: string,
    from: ControllerState,
    to: ControllerState,
    fields?: { reason?: string; finishedAt?: string; previousState?: ControllerState; engine?: string },
  ): Promise<void>;
  updateCounts(runId: string, counts: TaskCounts, updatedAt: string): Promise<void>;
  /** Adds to the counts (negative numbers subtract): a step's tasks moved without re-reading the run. */
  addCounts(runId: string, delta: Partial<TaskCounts>, updatedAt: string): Promise<void>;
  /** Adds a failure-policy mark to `policyFailures` (a set: adding one twice changes nothing). */
  recordPolicyFailure(runId: string, mark: string): Promise<void>;
  /**
   * Sets the stop request once: returns false when one was already recorded. A forced request may still
   * replace a graceful one (escalation); a second forced request is refused.
   */
  requestStop(runId: string, request: StopRequest): Promise<boolean>;
  /** Removes the stop request when a resume starts a new attempt. */
  clearStopRequest(runId: string): Promise<void>;
  setExecution(runId: string, fields: { executionArn?: string; engine?: string }): Promise<void>;
  delete(runId: string): Promise<void>;
  /**
   * Removes a run that has ended (the discard rule): condition `state` is terminal. Throws ConflictError
   * when the run is going on again (a resume won), RunNotFoundError when it is not in the catalog.
   */
  deleteEnded(runId: string): Promise<void>;
  /** Runs created before `cutoff` (an ISO-8601 time), oldest first, at most `limit` (default all). */
  listCreatedBefore(cutoff: string, options?: { limit?: number }): Promise<CatalogEntry[]>;
}

/**
 * What a run keeps outside the journal and the catalog: its command outputs (S3 objects on aws; locally its
 * `runs/<runId>/` directory — events, run.json, outputs — and each host's working directory for it).
 */
export interface RunArtifacts {
  /** Whether anything of the run is left here. */
  exists(runId: string): Promise<boolean>;
  /**
   * Notes, before the run leaves the catalog, that its files stay on purpose: locally the damage check
   * would otherwise take a run on disk that the catalog does not know for one the database lost.
   */
  markRemoved?(runId: string, removal: { readonly at: string; readonly by: string }): Promise<void>;
  /** Takes the note back when the catalog refused the removal (the run was resumed meanwhile). */
  unmarkRemoved?(runId: string): Promise<void>;
  /** Deletes everything of the run kept here; returns how many files or objects were deleted. */
  purge(runId: string): Promise<number>;
}

/** A command for many hosts. The runner splits it as its transport requires (SSM: ≤ 50 instances). */
export type CommandRequest = {
  readonly runId: string;
  readonly commandId: string;
  readonly phase: Phase;
  readonly hosts: readonly Host[];
  /** POSIX shell script; everything user-provided in it is already quoted. */
  readonly script: string;
  /** Environment for every host, plus per-host additions (FLEETBENCH_SEED differs per task). */
  readonly env: Readonly<Record<string, string>>;
  readonly hostEnv: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly timeoutSeconds: number;
  /** Hosts at once (SSM MaxConcurrency) and failures tolerated before the rest is not started (MaxErrors). */
  readonly maxConcurrency?: number;
  readonly maxErrors?: number;
};

/**
 * Runs commands on hosts and reports each host's result asynchronously, as InvocationResults
 * delivered to the on-invocation-status use case (SSM → EventBridge on aws; the engine locally).
 */
export interface CommandRunner {
  /**
   * Sends the command; returns the ids the provider gave it (SSM CommandIds), which cancel and poll need;
   * none when the runner finds its commands by run and command id (locally). Results are reported only
   * after this resolves.
   */
  send(request: CommandRequest): Promise<{ providerIds: string[] }>;
  /** Cancels a running command on the given hosts (SIGTERM then SIGKILL locally; CancelCommand on aws). */
  cancel(
    command: Pick<CommandRecord, 'runId' | 'commandId' | 'providerIds'>,
    hosts: readonly Host[],
  ): Promise<void>;
  /** Current results of a command, for the reconciler when status events were lost. */
  poll?(command: CommandRecord): Promise<InvocationResult[]>;
}

/** Reads a command's captured output (local file, journal item, S3 object). */
export interface OutputStore {
  /** The whole output, or with `maxBytes` the whole lines within its last `maxBytes` bytes. */
  read(ref: string, maxBytes?: number): Promise<string>;
  /**
   * Makes a host's output last as long as the run's record where the runner keeps it only for a while (an
   * SSM invocation's output, kept 30 days by SSM): returns the refs to record in its place. Absent when
   * every ref a runner gives is already durable (local files).
   */
  keep?(result: InvocationResult): Promise<Pick<InvocationResult, 'stdoutRef' | 'stderrRef'>>;
}

/** Receives what a host provider sees happen to the hosts it launches or ends; the use cases record it. */
export type HostStateListener = (observation: HostObservation) => Promise<void>;

export type ResolveHostsOptions = {
  /** The run's attempt: a resume may launch a new fleet, a retried PlanRun of the same attempt must not. */
  readonly attempt?: number;
  readonly onHostState?: HostStateListener;
};

export type ReleaseHostsOptions = {
  /** Why the hosts end, for the journal, the logs and the `host.terminated` events. */
  readonly reason: string;
  readonly onHostState?: HostStateListener;
};

/** A host the provider launched (ephemeral), as the reconciler sees it. */
export type ManagedHost = Host & {
  /** The run it was launched for; '' when the instance carries no run tag. */
  readonly runId: string;
  readonly status: 'active' | 'terminating' | 'terminated';
  readonly launchedAt: string;
  /** Why it is in that state, when the provider says (EC2 StateReason). */
  readonly stateReason?: string;
};

/** Resolves the plan's hosts and checks they can take commands (the seed's ConnectivityService). */
export interface HostProvider {
  /** For `provision` plans, launches the hosts and waits until they can take commands. */
  resolve(
    runId: string,
    hosts: import('./plan.js').Plan['hosts'],
    options?: ResolveHostsOptions,
  ): Promise<Host[]>;
  checkConnectivity(
    hosts: readonly Host[],
  ): Promise<{ reachable: Host[]; unreachable: { host: Host; reason: string }[] }>;
  /** Releases what resolve() created for the run (ephemeral hosts); a no-op for hosts the user brought. */
  release?(runId: string, hosts: readonly Host[], options?: ReleaseHostsOptions): Promise<void>;
  /** Ends some of the run's ephemeral hosts now (unreachable after launch, orphans). */
  terminate?(runId: string, hosts: readonly Host[], options: ReleaseHostsOptions): Promise<void>;
  /** Every ephemeral host this provider launched that still exists or ended recently (the reconciler's view). */
  listManaged?(): Promise<ManagedHost[]>;
}

/** Resumes a workflow waiting on a task token (Step Functions SendTaskSuccess/Failure; a promise locally). */
export interface TaskCallbacks {
  success(taskToken: string, output: unknown): Promise<void>;
  failure(taskToken: string, error: string, cause: string): Promise<void>;
}

export interface EventPublisher {
  publish(events: readonly CloudEvent[]): Promise<void>;
}

export interface Clock {
  now(): Date;
  /** Waits; fake clocks in tests advance instead. */
  sleep(ms: number): Promise<void>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything a use case may need; each use case picks what it uses. */
export type Deps = {
  readonly journal: JournalRepo;
  readonly catalog: CatalogRepo;
  readonly runner: CommandRunner;
  readonly outputs: OutputStore;
  readonly hosts: HostProvider;
  readonly callbacks: TaskCallbacks;
  readonly events: EventPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly target: import('./run.js').Target;
};
