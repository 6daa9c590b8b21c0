/**
 * Ctrl+C during `run` and `resume`, on both targets: the seed's double-press policy (lib/core/interrupts.ts)
 * turned into messages and actions. The first press warns (and arms), the second requests the stop, the
 * third leaves at once; what each action does is the target's business.
 */
import { userInfo } from 'node:os';
import {
  ARM_WINDOW_MS,
  type InterruptState,
  onArmTimeout,
  onInterrupt,
  onTerminationSignal,
} from '../core/interrupts.js';
import type { Io } from './io.js';
import { INTERRUPTED_STATUS } from './process-exit.js';
import type { Progress } from './progress.js';

export type InterruptActions = {
  /** What the warning adds after "Press Ctrl+C again within 5s to stop the run (teardown still runs)". */
  readonly armNote?: string;
  readonly onArm?: () => void;
  readonly onDisarm?: () => void;
  /** Records the stop request, as `requestedBy`; `reason` says what asked for it. */
  readonly requestStop: (requestedBy: string, reason: string) => Promise<void>;
  /**
   * Records a forced stop. Given, SIGTERM and SIGHUP stop the run (the first gracefully, the next forced);
   * absent, they end the process as usual (the run goes on where it runs).
   */
  readonly forceStop?: (requestedBy: string, reason: string) => Promise<void>;
  /** What the third press says before leaving. */
  readonly leaveMessage: () => string;
  /** "exits" or "leaves": what the third press does to the run. */
  readonly leaveVerb: string;
};

export type InterruptWatch = {
  /**
   * Whether Ctrl+C requested the stop: the command then ends with the shell's SIGINT status, 130, once the
   * run has ended (process-exit.ts says why).
   */
  readonly stoppedByCtrlC: () => boolean;
  readonly unsubscribe: () => void;
};

/** Subscribes to Ctrl+C (and SIGTERM and SIGHUP when the target can force a stop). */
export function watchInterrupts(io: Io, progress: Progress, actions: InterruptActions): InterruptWatch {
  let state: InterruptState = 'RUNNING';
  let stoppedByCtrlC = false;
  let armTimer: NodeJS.Timeout | undefined;
  const unsubscribe = io.onInterrupt(() => {
    const next = onInterrupt(state);
    state = next.state;
    switch (next.decision) {
      case 'WARN_ARM':
        progress.note(
          io.colours.err.yellow(
            `Press Ctrl+C again within ${ARM_WINDOW_MS / 1000}s to stop the run (teardown still runs)${actions.armNote ?? ''}.`,
          ),
        );
        actions.onArm?.();
        armTimer = setTimeout(() => {
          state = onArmTimeout(state);
          if (state === 'RUNNING') actions.onDisarm?.();
        }, ARM_WINDOW_MS);
        return;
      case 'REQUEST_STOP':
        stoppedByCtrlC = true;
        if (armTimer) clearTimeout(armTimer);
        progress.note(
          io.colours.err.yellow(
            `Stopping: cancelling workloads, then tearing down. Ctrl+C again ${actions.leaveVerb} at once.`,
          ),
        );
        progress.setPhase('stopping');
        void actions
          .requestStop(`ctrl-c:${safeUser()}`, 'Ctrl+C')
          .catch((e: unknown) => progress.note(String(e)));
        return;
      case 'FORCE_EXIT':
        progress.stop();
        io.err(actions.leaveMessage());
        io.exit(INTERRUPTED_STATUS);
        return;
    }
  });
  const { forceStop } = actions;
  const unsubscribeSignals =
    forceStop === undefined
      ? () => undefined
      : io.onTerminate((signal) => {
          const next = onTerminationSignal(state);
          state = next.state;
          if (armTimer) clearTimeout(armTimer);
          const by = `signal:${signal}`;
          if (next.decision === 'REQUEST_STOP') {
            progress.note(
              io.colours.err.yellow(
                `${signal}: stopping (teardown still runs); another ${signal} forces the stop.`,
              ),
            );
            progress.setPhase('stopping');
            void actions.requestStop(by, signal).catch((e: unknown) => progress.note(String(e)));
          } else {
            progress.note(
              io.colours.err.yellow(`${signal}: forcing the stop (commands killed, no teardown).`),
            );
            void forceStop(by, signal).catch((e: unknown) => progress.note(String(e)));
          }
        });
  return {
    stoppedByCtrlC: () => stoppedByCtrlC,
    unsubscribe: () => {
      if (armTimer) clearTimeout(armTimer);
      unsubscribe();
      unsubscribeSignals();
    },
  };
}

export function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
