/**
 * One local host's agent: long-lived bash processes (host-worker.sh) that fork the host's commands,
 * each in its own process group, and report when they start and finish. Forking from a small shell
 * costs less than a Node `spawn`, which keeps orchestration below the commands' own cost. A worker
 * process runs one command at a time (see the script for why), so a host keeps a small pool: one
 * process normally, another for each command it runs at once. This class speaks the worker protocol
 * and knows which tasks are in flight; what a result means (timeout, cancel, status) is the runner's
 * business. When any of a host's processes dies, the host is gone: its commands are killed and lost.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FleetbenchError } from '../../core/errors.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./host-worker.sh', import.meta.url));
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How long close() lets workers finish reporting before it kills them. */
const CLOSE_TIMEOUT_MS = 2000;

/** A task the worker could not pass on faithfully: an unusable environment name or a NUL byte. */
export class HostTaskRejectedError extends FleetbenchError {
  readonly code = 'HOST_TASK_REJECTED';
}

/** The host's worker is gone (it died, or the host was closed). */
export class HostWorkerGoneError extends FleetbenchError {
  readonly code = 'HOST_WORKER_GONE';
}

export type HostTask = {
  /** Absolute working directory of the command. */
  readonly cwd: string;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Run as `/bin/sh -c <script>`. */
  readonly script: string;
  /** Exported to the command on top of the worker's own environment. */
  readonly env: Readonly<Record<string, string>>;
};

export type HostTaskListener = {
  /** The command's process started; its pid is also its process group id. */
  started(pgid: number, at: Date): void;
  /** The command's process ended; `status` is its exit code, or 128+n when signal n killed it. */
  finished(status: number, at: Date): void;
  /** The host went away with the task in flight; the task's process group has been killed. */
  lost(reason: string): void;
};

type Task = { readonly id: number; readonly listener: HostTaskListener; pgid?: number };
type Child = ChildProcessByStdio<Writable, Readable, null>;
/** What a worker process tells its host. */
type ProcessEvents = {
  started(task: Task, at: Date): void;
  idle(worker: WorkerProcess): void;
  /** Once, when the process has exited and its output is drained. */
  ended(worker: WorkerProcess, reason: string): void;
};

/**
 * Throws HostTaskRejectedError when `task` cannot reach `/bin/sh` unchanged.
 * @example
 * validateHostTask({ cwd: '/w', stdoutPath: '/o', stderrPath: '/e', script: 'true', env: { A: '1' } });
 */
export function validateHostTask(task: HostTask): void {
  for (const [name, value] of Object.entries(task.env)) {
    if (!ENV_NAME.test(name)) {
      throw new HostTaskRejectedError(`invalid environment variable name ${JSON.stringify(name)}`, {
        hint: 'names are letters, digits and underscores, not starting with a digit',
      });
    }
    if (value.includes('\0'))
      throw new HostTaskRejectedError(`environment variable ${name} contains a NUL byte`);
  }
  for (const field of ['cwd', 'stdoutPath', 'stderrPath', 'script'] as const) {
    if (task[field].includes('\0')) throw new HostTaskRejectedError(`${field} contains a NUL byte`);
  }
}

/** Signals a process group; returns false when the group no longer exists. */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Which of `pgids` still have a live process. Zombies do not count: where PID 1 does not reap orphans
 * (some containers), a killed command's orphaned child stays a zombie that `kill(-pgid, 0)` still finds.
 * Reads /proc when there is one; elsewhere signal 0 decides.
 */
export function liveProcessGroups(pgids: Iterable<number>): Set<number> {
  const candidates = new Set([...pgids].filter((pgid) => killGroup(pgid, 0)));
  if (candidates.size === 0) return candidates;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return candidates;
  }
  const live = new Set<number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgid = Number(pgrp);
    if (state !== 'Z' && candidates.has(pgid)) live.add(pgid);
  }
  return live;
}

/** One worker process: runs one task at a time. */
class WorkerProcess {
  task: Task | undefined;
  /** Ended on purpose (a spare the host no longer needs): its exit is not the host going away. */
  retiring = false;
  private pending = '';
  private ended = false;
  readonly closed: Promise<void>;

  constructor(
    readonly child: Child,
    private readonly events: ProcessEvents,
  ) {
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.receive(chunk));
    this.closed = new Promise((resolve) => {
      let reason: string | undefined;
      const end = (why: string) => {
        if (this.ended) return;
        this.ended = true;
        this.events.ended(this, why);
        resolve();
      };
      child.on('exit', (code, signal) => {
        reason = signal ? `signal ${signal}` : `code ${code ?? 'unknown'}`;
      });
      // 'close' comes once stdout is drained, so a task's last report is never mistaken for a loss.
      child.on('close', (code, signal) =>
        end(reason ?? (signal ? `signal ${signal}` : `code ${code ?? 'unknown'}`)),
      );
      child.on('error', (error) => {
        if (child.pid === undefined) end(`could not start: ${error.message}`);
      });
    });
    this.keepAlive(false);
  }

  run(task: Task, fields: readonly string[]): void {
    this.task = task;
    this.keepAlive(true);
    this.child.stdin.write(`${fields.join('\0')}\0`);
  }

  private receive(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.handle(line);
  }

  private handle(line: string): void {
    const [kind, id, value, epoch] = line.split(' ');
    const task = this.task;
    if (task === undefined || Number(id) !== task.id) return;
    // $EPOCHREALTIME is locale-formatted, and absent before bash 5 (then the time of receipt is used).
    const seconds = Number(epoch?.replace(',', '.'));
    const at = new Date(Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : Date.now());
    if (kind === 'S') {
      task.pgid = Number(value);
      this.events.started(task, at);
    } else if (kind === 'D') {
      this.task = undefined;
      this.keepAlive(false);
      task.listener.finished(Number(value), at);
      this.events.idle(this);
    }
  }

  /** An idle worker must not keep the engine's process alive; a busy one must. */
  private keepAlive(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout] as { ref(): void; unref(): void }[];
    for (const handle of handles) {
      if (on) handle.ref();
      else handle.unref();
    }
  }
}

/**
 * The worker processes of one local host.
 * @example
 * const host = HostWorker.start('host-1', { onExit: (reason) => console.error(`host-1 gone: ${reason}`) });
 * host.run(
 *   { cwd: '/tmp', stdoutPath: '/tmp/o', stderrPath: '/tmp/e', script: 'echo hi', env: {} },
 *   { started: () => {}, finished: (status) => console.log(status), lost: console.error },
 * );
 * await host.close();
 */
export class HostWorker {
  private readonly processes: WorkerProcess[] = [];
  private readonly idle: WorkerProcess[] = [];
  private nextTaskId = 1;
  private goneReason: string | undefined;
  private closing = false;

  private constructor(
    readonly hostId: string,
    private readonly onExit: (reason: string) => void,
  ) {}

  /** Starts the host's first worker process; `onExit` is called once if the host goes away. */
  static start(hostId: string, options: { onExit: (reason: string) => void }): HostWorker {
    const host = new HostWorker(hostId, options.onExit);
    host.idle.push(host.spawnProcess());
    return host;
  }

  /** The pid of the host's first worker process ("the agent"), while the host is alive. */
  get pid(): number | undefined {
    return this.alive ? this.processes[0]?.child.pid : undefined;
  }

  get alive(): boolean {
    return this.goneReason === undefined && !this.closing;
  }

  /** Sends a task. Call validateHostTask first; throws HostWorkerGoneError when the host is gone. */
  run(task: HostTask, listener: HostTaskListener): void {
    if (!this.alive) throw new HostWorkerGoneError(`host ${this.hostId} worker has exited`);
    const worker = this.idle.pop() ?? this.spawnProcess();
    const env = Object.entries(task.env);
    const id = this.nextTaskId++;
    const fields = [String(id), task.cwd, task.stdoutPath, task.stderrPath, task.script, String(env.length)];
    for (const [name, value] of env) fields.push(name, value);
    worker.run({ id, listener }, fields);
  }

  /**
   * Kills the tasks in flight (they report as finished) and ends the worker processes, then resolves;
   * processes that do not exit within a timeout are killed. The host is not reported as gone.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const worker of this.processes) {
      if (worker.task?.pgid !== undefined) killGroup(worker.task.pgid, 'SIGKILL');
      worker.child.stdin.end();
    }
    const timer = setTimeout(() => {
      for (const worker of this.processes) worker.child.kill('SIGKILL');
    }, CLOSE_TIMEOUT_MS);
    await Promise.all(this.processes.map((worker) => worker.closed));
    clearTimeout(timer);
  }

  private readonly events: ProcessEvents = {
    started: (task, at) => {
      // A task that starts while the host is closing or gone must not outlive it.
      if (!this.alive && task.pgid !== undefined) killGroup(task.pgid, 'SIGKILL');
      task.listener.started(task.pgid ?? 0, at);
    },
    idle: (worker) => {
      if (!this.alive) return;
      // Keep one idle process; spares started for concurrent commands go once they are not needed.
      if (this.idle.length === 0 || worker === this.processes[0]) {
        this.idle.push(worker);
      } else {
        worker.retiring = true;
        worker.child.stdin.end();
      }
    },
    ended: (worker, reason) => {
      if (worker.retiring && worker.task === undefined) {
        this.processes.splice(this.processes.indexOf(worker), 1);
        return;
      }
      const expected = this.closing || this.goneReason !== undefined;
      if (!expected) {
        this.goneReason = reason;
        for (const other of this.processes) if (other !== worker) other.child.kill('SIGKILL');
      }
      const task = worker.task;
      worker.task = undefined;
      if (task !== undefined) {
        if (task.pgid !== undefined) killGroup(task.pgid, 'SIGKILL');
        task.listener.lost(this.goneReason ?? reason);
      }
      if (!expected) this.onExit(reason);
    },
  };

  private spawnProcess(): WorkerProcess {
    // detached: a session of its own, so a Ctrl+C at the terminal reaches only the engine, which decides.
    const child = spawn('bash', [WORKER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    const worker = new WorkerProcess(child, this.events);
    this.processes.push(worker);
    return worker;
  }
}
