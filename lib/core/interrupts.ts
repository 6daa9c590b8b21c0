/**
 * The double Ctrl+C policy (seed 001): the first press arms a stop and the run goes on, a second press
 * while armed requests the stop (teardown still runs), a third press exits at once. An arm that is not
 * confirmed within the window disarms. A termination signal (SIGTERM, SIGHUP: a closed terminal, a
 * cancelled CI job, a stopped container) means nobody is there to confirm: the first requests the stop at
 * once, the next forces it (commands killed, no teardown) and the run still ends recorded. Pure: the CLI
 * feeds it presses and signals and acts on the decision.
 */
export type InterruptState = 'RUNNING' | 'STOP_ARMED' | 'STOPPING';
export type InterruptDecision = 'WARN_ARM' | 'REQUEST_STOP' | 'FORCE_EXIT';
export type TerminationDecision = 'REQUEST_STOP' | 'FORCE_STOP';

export const ARM_WINDOW_MS = 5_000;

/**
 * @example
 * onInterrupt('RUNNING');    // { state: 'STOP_ARMED', decision: 'WARN_ARM' }
 * onInterrupt('STOP_ARMED'); // { state: 'STOPPING', decision: 'REQUEST_STOP' }
 */
export function onInterrupt(state: InterruptState): { state: InterruptState; decision: InterruptDecision } {
  switch (state) {
    case 'RUNNING':
      return { state: 'STOP_ARMED', decision: 'WARN_ARM' };
    case 'STOP_ARMED':
      return { state: 'STOPPING', decision: 'REQUEST_STOP' };
    case 'STOPPING':
      return { state: 'STOPPING', decision: 'FORCE_EXIT' };
  }
}

/** The arm window ran out: back to running, unless the stop was confirmed meanwhile. */
export function onArmTimeout(state: InterruptState): InterruptState {
  return state === 'STOP_ARMED' ? 'RUNNING' : state;
}

/**
 * @example
 * onTerminationSignal('RUNNING');  // { state: 'STOPPING', decision: 'REQUEST_STOP' }
 * onTerminationSignal('STOPPING'); // { state: 'STOPPING', decision: 'FORCE_STOP' }
 */
export function onTerminationSignal(state: InterruptState): {
  state: InterruptState;
  decision: TerminationDecision;
} {
  return { state: 'STOPPING', decision: state === 'STOPPING' ? 'FORCE_STOP' : 'REQUEST_STOP' };
}
