/**
 * Drives one execution in the foreground for `run` and `resume`: prints the run id first, shows live
 * progress, handles Ctrl+C the seed's way (arm, stop, force), and ends with the summary table and the
 * exit code (0 all good, 1 the run ended with failures or did not finish).
 */
import { userInfo } from 'node:os';
import type { LocalEngine, RunHandle } from '../adapters/local/local-engine.js';
import { changeState } from '../app/controller.js';
import type { PlanRunInput } from '../app/plan-run.js';
import { ARM_WINDOW_MS, type InterruptState, onArmTimeout, onInterrupt } from '../core/interrupts.js';
import { CliExit, type Io, paint } from './io.js';
import { Progress } from './progress.js';
import { loadRunView, type RunView } from './run-view.js';
import { printSummary } from './summary.js';

export async function executeRun(
  io: Io,
  engine: LocalEngine,
  input: PlanRunInput,
  options: { json: boolean },
): Promise<void> {
  const progress = new Progress(io);
  const unsubscribe = engine.subscribe((e) => progress.onEvent(e));
  const handle = engine.start(input, {
    onStep: (s) =>
      progress.setPhase(
        s.phase === 'repetition'
          ? `${s.workload} rep ${s.rep}`
          : s.workload
            ? `${s.phase} ${s.workload}`
            : s.phase,
      ),
  });
  const stopInterrupts = handleInterrupts(io, engine, handle, progress);
  try {
    const started = await handle.started.catch(async (error: unknown) => {
      await handle.done.catch(() => undefined);
      throw error;
    });
    const tasks = await engine.deps.journal.listTasks(started.runId);
    const already = tasks.filter((t) => t.status === 'COMPLETED' || t.status === 'SKIPPED').length;
    if (!options.json)
      io.out(`${input.resume ? 'Resuming' : 'Started'} run ${paint(io, 'bold', started.runId)}\n`);
    progress.setTotal(tasks.length, already);
    const final = await handle.done;
    progress.stop();
    const view = await loadRunView(engine.deps, final.runId);
    if (options.json) io.out(`${JSON.stringify(view, null, 2)}\n`);
    else printSummary(io, view);
    const code = exitCodeOf(view);
    if (code !== 0) throw new CliExit(code);
  } finally {
    progress.stop();
    stopInterrupts();
    unsubscribe();
  }
}

export function exitCodeOf(view: Pick<RunView, 'state' | 'counts'>): number {
  return view.state === 'FINISHED' && view.counts.failed === 0 && view.counts.cancelled === 0 ? 0 : 1;
}

function handleInterrupts(io: Io, engine: LocalEngine, handle: RunHandle, progress: Progress): () => void {
  let state: InterruptState = 'RUNNING';
  let armTimer: NodeJS.Timeout | undefined;
  const who = `ctrl-c:${safeUser()}`;
  const unsubscribe = io.onInterrupt(() => {
    const next = onInterrupt(state);
    state = next.state;
    switch (next.decision) {
      case 'WARN_ARM':
        progress.note(
          paint(
            io,
            'yellow',
            `Press Ctrl+C again within ${ARM_WINDOW_MS / 1000}s to stop the run (teardown still runs).`,
          ),
        );
        void setArmed(engine, handle, true);
        armTimer = setTimeout(() => {
          state = onArmTimeout(state);
          if (state === 'RUNNING') void setArmed(engine, handle, false);
        }, ARM_WINDOW_MS);
        return;
      case 'REQUEST_STOP':
        if (armTimer) clearTimeout(armTimer);
        progress.note(
          paint(
            io,
            'yellow',
            'Stopping: cancelling workloads, then tearing down. Ctrl+C again exits at once.',
          ),
        );
        progress.setPhase('stopping');
        void handle.requestStop(who, { reason: 'Ctrl+C' }).catch((e: unknown) => progress.note(String(e)));
        return;
      case 'FORCE_EXIT':
        void handle.started.then(
          ({ runId }) => forceExit(io, progress, runId),
          () => forceExit(io, progress, undefined),
        );
        return;
    }
  });
  return () => {
    if (armTimer) clearTimeout(armTimer);
    unsubscribe();
  };
}

function forceExit(io: Io, progress: Progress, runId: string | undefined): never {
  progress.stop();
  const id = runId ?? '<runId>';
  io.err(
    `Exited at once: commands may still be running on the hosts.\n` +
      `  clean up:  fleetbench stop --force ${id}\n  continue:  fleetbench resume ${id}\n`,
  );
  return io.exit(130);
}

/** Records STOP_ARMED in the controller state (and the audit trail), or returns to where it was armed from. */
async function setArmed(engine: LocalEngine, handle: RunHandle, armed: boolean): Promise<void> {
  const { runId } = await handle.started.catch(() => ({ runId: undefined }));
  if (!runId) return;
  try {
    if (armed) {
      await changeState(engine.deps, runId, {
        to: 'STOP_ARMED',
        reason: 'first Ctrl+C',
        onlyFrom: ['INIT', 'RUNNING_GLOBAL_SETUP', 'RUNNING_WORKLOADS', 'RUNNING_GLOBAL_TEARDOWN'],
      });
    } else {
      const entry = await engine.deps.catalog.get(runId);
      if (entry?.state === 'STOP_ARMED' && entry.previousState && !entry.stopRequest) {
        await changeState(engine.deps, runId, {
          to: entry.previousState,
          reason: 'stop not confirmed: disarmed',
          onlyFrom: ['STOP_ARMED'],
        });
      }
    }
  } catch {
    // The run moved on meanwhile (next phase, or it ended): arming is advisory, nothing to undo.
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
