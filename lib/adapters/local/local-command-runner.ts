/**
 * The local stand-in for SSM Run Command. Each host id gets one long-lived worker (host-worker.ts)
 * that forks the host's commands; this runner spreads a command over its hosts (honouring
 * maxConcurrency and maxErrors as SSM does), enforces timeouts and cancels by signalling whole process
 * groups (SIGTERM, then SIGKILL after a grace period), and reports one InvocationResult per host,
 * always after `send` has resolved, as SSM status events arrive after SendCommand returns.
 *
 * Files: a host's commands of a run run in `<dataDir>/hosts/<host>/work/<runId>`, so runs going on at
 * once in one data directory never see (nor clean up) each other's files; their output goes to
 * `<dataDir>/runs/<runId>/outputs/<commandId, # as _>/<host>.stdout|.stderr`. A worker that dies
 * models a host going away: its commands fail and the host stays unreachable for this runner's life.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConflictError, EngineError } from '../../core/errors.js';
import type { CommandRequest, CommandRunner } from '../../core/ports.js';
import type { CommandRecord, Host, InvocationResult, InvocationStatus } from '../../core/run.js';
import { type HostTask, HostWorker, killGroup, liveProcessGroups, validateHostTask } from './host-worker.js';

export type LocalCommandRunnerOptions = {
  readonly dataDir: string;
  /** Receives every host result, always after the `send` that started the command has resolved. */
  readonly onResult: (result: InvocationResult) => void | Promise<void>;
  /** Time between SIGTERM and SIGKILL on timeout or cancel (default 2000 ms). */
  readonly graceMs?: number;
  /** Host ids whose commands are Undeliverable, as for an instance SSM cannot reach. */
  readonly unreachable?: readonly string[];
  /** Called when `onResult` throws or rejects (default: a process warning). */
  readonly onResultError?: (error: unknown, result: InvocationResult) => void;
};

type HostRunState = 'queued' | 'running' | 'done';

/** One host's part of one command. */
type HostRun = {
  readonly host: Host;
  readonly command: ActiveCommand;
  state: HostRunState;
  pgid?: number;
  startedAt?: string;
  ending?: 'TimedOut' | 'Cancelled';
  timer?: NodeJS.Timeout;
};

type ActiveCommand = {
  readonly key: string;
  readonly request: CommandRequest;
  readonly outputDir: string;
  readonly runs: Map<string, HostRun>;
  /** Hosts in start order; those before `next` have been started (or settled while queued). */
  readonly queue: HostRun[];
  next: number;
  readonly limit: number;
  running: number;
  /** Hosts without a result yet. */
  remaining: number;
  errors: number;
  /** False until `send` has resolved; results wait in `held` until then. */
  released: boolean;
  readonly held: InvocationResult[];
};

const DEFAULT_GRACE_MS = 2000;
const CLOSE_SETTLE_MS = 1000;
/** setTimeout's limit (~24.8 days); SSM's own limit is 48 hours. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const ERROR_STATUSES: readonly InvocationStatus[] = ['Failed', 'TimedOut'];

/**
 * Runs commands on local hosts, one worker process per host.
 * @example
 * const runner = new LocalCommandRunner({ dataDir: '.fleetbench', onResult: (r) => console.log(r.status) });
 * await runner.send({
 *   runId: 'r1', commandId: 'r1#1', phase: 'repetition', hosts: [{ id: 'host-1', name: 'host-1' }],
 *   script: 'echo hello', env: {}, hostEnv: {}, timeoutSeconds: 60,
 * });
 * // ... later
 * await runner.close();
 */
export class LocalCommandRunner implements CommandRunner {
  private readonly dataDir: string;
  private readonly graceMs: number;
  private readonly unreachable: ReadonlySet<string>;
  private readonly workers = new Map<string, HostWorker>();
  private readonly deadHosts = new Set<string>();
  private readonly commands = new Map<string, ActiveCommand>();
  /** Every process group started and not yet seen gone (a finished command may leave children behind). */
  private readonly groups = new Set<number>();
  private readonly killTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: LocalCommandRunnerOptions) {
    this.dataDir = resolve(options.dataDir);
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.unreachable = new Set(options.unreachable ?? []);
  }

  async send(request: CommandRequest): Promise<{ providerIds: string[] }> {
    if (this.closed) throw new EngineError('the local command runner is closed');
    const key = commandKey(request);
    if (this.commands.has(key)) {
      throw new ConflictError(`command ${request.commandId} of run ${request.runId} is already running`);
    }
    const outputDir = join(this.dataDir, 'runs', safeName(request.runId), 'outputs', commandDirName(request));
    const command: ActiveCommand = {
      key,
      request,
      outputDir,
      runs: new Map(),
      queue: [],
      next: 0,
      limit:
        request.maxConcurrency !== undefined && request.maxConcurrency > 0
          ? request.maxConcurrency
          : Infinity,
      running: 0,
      remaining: 0,
      errors: 0,
      released: false,
      held: [],
    };
    this.commands.set(key, command);
    for (const host of request.hosts) {
      if (command.runs.has(host.id)) continue;
      const run: HostRun = { host, command, state: 'queued' };
      command.runs.set(host.id, run);
      command.queue.push(run);
    }
    command.remaining = command.queue.length;

    const problem = await this.prepare(command);
    if (problem !== undefined) {
      this.settleQueued(command, { status: 'Failed', error: problem });
    } else {
      this.dispatch(command);
    }
    setImmediate(() => this.release(command));
    // Found again by run and command id (cancel): no provider id to record.
    return { providerIds: [] };
  }

  async cancel(
    command: Pick<CommandRecord, 'runId' | 'commandId' | 'providerIds'>,
    hosts: readonly Host[],
  ): Promise<void> {
    const active = this.commands.get(commandKey(command));
    if (active === undefined) return;
    for (const host of hosts) {
      const run = active.runs.get(host.id);
      if (run === undefined || run.state === 'done' || run.ending !== undefined) continue;
      if (run.state === 'queued') {
        this.complete(run, { status: 'Cancelled', error: 'cancelled before it started' });
      } else {
        this.end(run, 'Cancelled');
      }
    }
    this.dispatch(active);
  }

  /** Live worker pids by host id (for tests and "a host goes away" scenarios). */
  hostPids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const [hostId, worker] of this.workers) {
      if (worker.pid !== undefined) pids[hostId] = worker.pid;
    }
    return pids;
  }

  /** Process groups started by this runner that still have a live process. */
  runningProcessGroups(): number[] {
    const live = liveProcessGroups(this.groups);
    for (const pgid of this.groups) if (!live.has(pgid)) this.groups.delete(pgid);
    return [...live];
  }

  /**
   * Kills every worker and every process group this runner started, then resolves. Results of commands
   * still in flight are not delivered: the engine closes the runner when it no longer listens.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.killTimers) clearTimeout(timer);
    this.killTimers.clear();
    for (const command of this.commands.values()) {
      for (const run of command.runs.values()) clearTimeout(run.timer);
    }
    this.commands.clear();
    for (const pgid of this.groups) killGroup(pgid, 'SIGKILL');
    await Promise.all([...this.workers.values()].map((worker) => worker.close()));
    // Orphans of killed commands die asynchronously; wait (briefly) until none is left.
    const deadline = Date.now() + CLOSE_SETTLE_MS;
    for (let left = this.runningProcessGroups(); left.length > 0 && Date.now() < deadline; ) {
      for (const pgid of left) killGroup(pgid, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 10));
      left = this.runningProcessGroups();
    }
  }

  /** Creates the command's output directory; returns why the command cannot start, if it cannot. */
  private async prepare(command: ActiveCommand): Promise<string | undefined> {
    try {
      await mkdir(command.outputDir, { recursive: true });
      await Promise.all(
        command.queue.map(({ host }) =>
          mkdir(hostWorkDir(this.dataDir, host.id, command.request.runId), { recursive: true }),
        ),
      );
      return undefined;
    } catch (error) {
      return `could not start: ${errorMessage(error)}`;
    }
  }

  private task(command: ActiveCommand, host: Host): HostTask {
    const { request } = command;
    const file = join(command.outputDir, safeName(host.id));
    const hostEnv = request.hostEnv[host.id];
    return {
      cwd: hostWorkDir(this.dataDir, host.id, request.runId),
      stdoutPath: `${file}.stdout`,
      stderrPath: `${file}.stderr`,
      script: request.script,
      env: hostEnv === undefined ? request.env : { ...request.env, ...hostEnv },
    };
  }

  /** Starts queued hosts while the command's concurrency allows. */
  private dispatch(command: ActiveCommand): void {
    while (command.running < command.limit && command.next < command.queue.length && !this.closed) {
      const run = command.queue[command.next++];
      if (run?.state === 'queued') this.start(run);
    }
  }

  /** Settles every host not started yet with the same outcome. */
  private settleQueued(command: ActiveCommand, outcome: Pick<InvocationResult, 'status' | 'error'>): void {
    while (command.next < command.queue.length) {
      const run = command.queue[command.next++];
      if (run?.state === 'queued') this.complete(run, outcome);
    }
  }

  private start(run: HostRun): void {
    const { host, command } = run;
    if (this.unreachable.has(host.id)) {
      this.complete(run, { status: 'Undeliverable', error: `host ${host.id} is unreachable` });
      return;
    }
    const worker = this.deadHosts.has(host.id) ? undefined : this.worker(host.id);
    if (worker === undefined) {
      this.complete(run, { status: 'Failed', error: `host ${host.id} is unreachable: worker exited` });
      return;
    }
    const task = this.task(command, host);
    try {
      validateHostTask(task);
    } catch (error) {
      this.complete(run, { status: 'Failed', error: `could not start: ${errorMessage(error)}` });
      return;
    }
    run.state = 'running';
    command.running++;
    worker.run(task, {
      started: (pgid, at) => {
        run.pgid = pgid;
        run.startedAt = at.toISOString();
        this.groups.add(pgid);
        const timeoutMs = command.request.timeoutSeconds * 1000;
        if (run.ending !== undefined) {
          this.terminate(pgid);
        } else if (!this.closed && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
          run.timer = setTimeout(() => this.end(run, 'TimedOut'), Math.min(timeoutMs, MAX_TIMER_MS));
        }
      },
      finished: (exitCode, at) => {
        clearTimeout(run.timer);
        if (run.pgid !== undefined && !killGroup(run.pgid, 0)) this.groups.delete(run.pgid);
        const status: InvocationStatus = run.ending ?? (exitCode === 0 ? 'Success' : 'Failed');
        this.complete(run, {
          status,
          exitCode,
          finishedAt: at.toISOString(),
          stdoutRef: task.stdoutPath,
          stderrRef: task.stderrPath,
        });
      },
      lost: (reason) => {
        clearTimeout(run.timer);
        this.complete(run, {
          status: 'Failed',
          error: `host ${host.id} worker exited (${reason})`,
          stdoutRef: task.stdoutPath,
          stderrRef: task.stderrPath,
        });
      },
    });
  }

  /** Ends a running host's command early (timeout or cancel); the result follows when its process ends. */
  private end(run: HostRun, ending: 'TimedOut' | 'Cancelled'): void {
    if (run.state !== 'running' || run.ending !== undefined) return;
    run.ending = ending;
    clearTimeout(run.timer);
    if (run.pgid !== undefined) this.terminate(run.pgid);
  }

  /** SIGTERM to the group now, SIGKILL after the grace period to whatever of it is left. */
  private terminate(pgid: number): void {
    killGroup(pgid, 'SIGTERM');
    const timer = setTimeout(() => {
      this.killTimers.delete(timer);
      if (killGroup(pgid, 0)) killGroup(pgid, 'SIGKILL');
    }, this.graceMs);
    timer.unref();
    this.killTimers.add(timer);
  }

  private complete(
    run: HostRun,
    outcome: Omit<InvocationResult, 'runId' | 'commandId' | 'hostId' | 'startedAt'> & { finishedAt?: string },
  ): void {
    if (run.state === 'done') return;
    const { command } = run;
    if (run.state === 'running') command.running--;
    run.state = 'done';
    command.remaining--;
    this.deliver(command, {
      runId: command.request.runId,
      commandId: command.request.commandId,
      hostId: run.host.id,
      ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
      finishedAt: new Date().toISOString(),
      ...outcome,
    });
    if (ERROR_STATUSES.includes(outcome.status)) command.errors++;
    const { maxErrors } = command.request;
    if (maxErrors !== undefined && command.errors > maxErrors) {
      this.settleQueued(command, {
        status: 'Cancelled',
        error: `not started: ${command.errors} hosts failed, more than maxErrors (${maxErrors})`,
      });
    }
    if (command.remaining === 0) {
      if (this.commands.get(command.key) === command) this.commands.delete(command.key);
    } else {
      this.dispatch(command);
    }
  }

  private deliver(command: ActiveCommand, result: InvocationResult): void {
    if (this.closed) return;
    if (!command.released) {
      command.held.push(result);
      return;
    }
    const report = (error: unknown) => {
      if (this.options.onResultError) this.options.onResultError(error, result);
      else
        process.emitWarning(`onResult failed for ${result.commandId} on ${result.hostId}: ${String(error)}`);
    };
    try {
      const pending = this.options.onResult(result);
      if (pending instanceof Promise) pending.catch(report);
    } catch (error) {
      report(error);
    }
  }

  private release(command: ActiveCommand): void {
    command.released = true;
    for (const result of command.held.splice(0)) this.deliver(command, result);
  }

  private worker(hostId: string): HostWorker | undefined {
    const existing = this.workers.get(hostId);
    if (existing !== undefined) return existing;
    const worker = HostWorker.start(hostId, {
      onExit: () => {
        this.deadHosts.add(hostId);
        this.workers.delete(hostId);
      },
    });
    this.workers.set(hostId, worker);
    return worker;
  }
}

/**
 * The working directory of `hostId`'s commands in run `runId`: one per run, kept across resumes.
 * @example
 * hostWorkDir('/data', 'host-1', 'r1'); // '/data/hosts/host-1/work/r1'
 */
export function hostWorkDir(dataDir: string, hostId: string, runId: string): string {
  return join(resolve(dataDir), 'hosts', safeName(hostId), 'work', safeName(runId));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function commandKey(command: Pick<CommandRequest, 'runId' | 'commandId'>): string {
  return `${command.runId}\0${command.commandId}`;
}

function commandDirName(request: CommandRequest): string {
  return safeName(request.commandId.replaceAll('#', '_'));
}

/**
 * A file name made from an id: kept as is when it is already a plain name, otherwise cleaned and
 * suffixed with a hash of the original, so two ids never share a file.
 */
export function safeName(id: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id)) return id;
  const cleaned = id
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, 80);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 10);
  return cleaned === '' ? hash : `${cleaned}-${hash}`;
}
