import { changeState } from '../app/controller.js';
import type { PlanRunInput } from '../app/plan-run.js';
import type { LocalEngine, RunHandle } from '../engine/local-engine.js';
import { type InterruptWatch, watchInterrupts } from './interrupts.js';
import { CliExit, type Io, StdoutClosedError, tryOut } from './io.js';
import { INTERRUPTED_STATUS } from './process-exit.js';
import { Progress, progressIntervalMs } from './progress.js';
import { loadRunView, type RunView } from './run-view.js';

export async function executeRun(
  io: Io,
  engine: LocalEngine,
  input: PlanRunInput,
  options: { json: boolean },
): Promise<void> {
  const progress = new Progress(io, { heartbeatMs: progressIntervalMs(io.env) });
  const unsubscribe = engine.subscribe((e) => progress.onEvent(e));
  // Known once the run is planned, before its first repetition: `workload#rep` of every warm-up.
  const warmups = new Set<string>();
  const handle = engine.start(input, {
    onStep: (s) =>
      progress.setPhase(
        s.phase === 'repetition'
          ? `${s.workload} rep ${s.rep}${warmups.has(`${s.workload}#${s.rep}`) ? ' (warm-up)' : ''}`
          : s.workload
            ? `${s.phase} ${s.workload}`
            : s.phase,
      ),
  });
  const interrupts = handleInterrupts(io, engine, handle, progress);
  try {
    const started = await handle.started.catch(async (error: unknown) => {
      await handle.done.catch(() => undefined);
      throw error;
    });
    const tasks = await engine.deps.journal.listTasks(started.runId);
    for (const t of tasks) if (t.warmup) warmups.add(`${t.workload}#${t.rep}`);
    const already = tasks.filter((t) => t.status === 'COMPLETED' || t.status === 'SKIPPED').length;
    // A reader of stdout that has gone does not abandon the run: it goes on to its teardowns, then the
    // command ends as a closed pipe ends it (141).
    const shown =
      options.json ||
      tryOut(io, `${input.resume ? 'Resuming' : 'Started'} run ${io.colours.out.bold(started.runId)}\n`);
    progress.setTotal(tasks.length, already);
    const final = await handle.done;
    progress.stop();
    if (!shown) throw interrupts.stoppedByCtrlC() ? new CliExit(INTERRUPTED_STATUS) : new StdoutClosedError();
    await reportFinalRun(io, engine.deps, final.runId, { ...options, interrupts });
  } finally {
    progress.stop();
    interrupts.unsubscribe();
    unsubscribe();
  }
}

/**
 * The end of `run` and `resume` on either target: the run as JSON or the summary, then the exit code — the
 * shell's SIGINT status (130) for a run stopped with Ctrl+C, whatever state it ended in.
 */
export async function reportFinalRun(
  io: Io,
  repos: Parameters<typeof loadRunView>[0],
  runId: string,
  options: { json: boolean; interrupts: InterruptWatch },
): Promise<void> {
  const view = await loadRunView(repos, runId);
  if (options.json) io.out(`${JSON.stringify(view, null, 2)}\n`);
  // The summary's table measures text with string-width, loaded only when a run has ended.
  else (await import('./summary.js')).printSummary(io, view);
  const code = options.interrupts.stoppedByCtrlC() ? INTERRUPTED_STATUS : exitCodeOf(view);
  if (code !== 0) throw new CliExit(code);
}

export function exitCodeOf(view: Pick<RunView, 'state' | 'counts'>): number {
  return view.state === 'FINISHED' && view.counts.failed === 0 && view.counts.cancelled === 0 ? 0 : 1;
}

function handleInterrupts(
  io: Io,
  engine: LocalEngine,
  handle: RunHandle,
  progress: Progress,
): InterruptWatch {
  let runId: string | undefined;
  handle.started.then(
    (s) => {
      runId = s.runId;
    },
    () => undefined,
  );
  return watchInterrupts(io, progress, {
    onArm: () => void setArmed(engine, handle, true),
    onDisarm: () => void setArmed(engine, handle, false),
    requestStop: (by, reason) => handle.requestStop(by, { reason }),
    forceStop: (by, reason) => handle.requestStop(by, { reason, force: true }),
    leaveVerb: 'exits',
    leaveMessage: () =>
      'Exited at once: commands may still be running on the hosts.\n' +
      `  clean up:  fleetbench stop --force ${runId ?? '<runId>'}\n  continue:  fleetbench resume ${runId ?? '<runId>'}\n`,
  });
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
