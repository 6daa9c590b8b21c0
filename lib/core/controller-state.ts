/**
 * The controller state machine of a run, after the seed's ControllerState. The table is the whole
 * truth: `transition()` rejects any move it does not list, so a bug can never silently overwrite a state.
 *
 * Normal path: INIT → RUNNING_GLOBAL_SETUP → RUNNING_WORKLOADS → RUNNING_GLOBAL_TEARDOWN → FINISHED.
 * Stop path:   … → STOP_ARMED (first Ctrl+C, may disarm) → STOPPING_INTERRUPT_SETUP | STOPPING_WAIT_RUNNERS
 *              → STOPPING_TEARDOWN → ABORTED, or STOP_FAILED when a host never confirmed the stop.
 *              A stop during global teardown is STOPPING_INTERRUPT_TEARDOWN: nothing is cancelled.
 * Resume:      any terminal state → INIT, and the run starts over, skipping completed tasks.
 */
import { IllegalTransitionError } from './errors.js';

export const CONTROLLER_STATES = [
  'INIT',
  'RUNNING_GLOBAL_SETUP',
  'RUNNING_WORKLOADS',
  'RUNNING_GLOBAL_TEARDOWN',
  'STOP_ARMED',
  'STOPPING_INTERRUPT_SETUP',
  'STOPPING_WAIT_RUNNERS',
  'STOPPING_TEARDOWN',
  'STOPPING_INTERRUPT_TEARDOWN',
  'STOP_FAILED',
  'FINISHED',
  'FAILED',
  'ABORTED',
] as const;
export type ControllerState = (typeof CONTROLLER_STATES)[number];

export const TERMINAL_STATES: readonly ControllerState[] = ['FINISHED', 'FAILED', 'ABORTED', 'STOP_FAILED'];

/** The states in which work is running and a stop request can still act. */
export const ACTIVE_STATES: readonly ControllerState[] = CONTROLLER_STATES.filter(
  (state) => !TERMINAL_STATES.includes(state),
);

const RUNNING: readonly ControllerState[] = [
  'RUNNING_GLOBAL_SETUP',
  'RUNNING_WORKLOADS',
  'RUNNING_GLOBAL_TEARDOWN',
];
const STOPPING: readonly ControllerState[] = [
  'STOPPING_INTERRUPT_SETUP',
  'STOPPING_WAIT_RUNNERS',
  'STOPPING_TEARDOWN',
  'STOPPING_INTERRUPT_TEARDOWN',
];

export const CONTROLLER_TRANSITIONS: Readonly<Record<ControllerState, readonly ControllerState[]>> = {
  // FAILED from INIT: the plan could not be started (no reachable host, provisioning failed).
  INIT: ['RUNNING_GLOBAL_SETUP', 'STOP_ARMED', 'STOPPING_TEARDOWN', 'FAILED', 'ABORTED'],
  RUNNING_GLOBAL_SETUP: [
    'RUNNING_WORKLOADS',
    'RUNNING_GLOBAL_TEARDOWN',
    'STOP_ARMED',
    'STOPPING_INTERRUPT_SETUP',
    'FAILED',
    'ABORTED',
  ],
  RUNNING_WORKLOADS: ['RUNNING_GLOBAL_TEARDOWN', 'STOP_ARMED', 'STOPPING_WAIT_RUNNERS', 'FAILED', 'ABORTED'],
  RUNNING_GLOBAL_TEARDOWN: ['FINISHED', 'FAILED', 'STOP_ARMED', 'STOPPING_INTERRUPT_TEARDOWN', 'ABORTED'],
  // Armed by a first Ctrl+C: either the stop is confirmed or the arm times out and the run goes on.
  STOP_ARMED: [...RUNNING, ...STOPPING, 'INIT', 'FINISHED', 'FAILED', 'ABORTED'],
  STOPPING_INTERRUPT_SETUP: ['STOPPING_TEARDOWN', 'STOP_FAILED', 'FAILED', 'ABORTED'],
  STOPPING_WAIT_RUNNERS: ['STOPPING_TEARDOWN', 'STOP_FAILED', 'FAILED', 'ABORTED'],
  STOPPING_TEARDOWN: ['ABORTED', 'STOP_FAILED', 'FAILED'],
  STOPPING_INTERRUPT_TEARDOWN: ['ABORTED', 'STOP_FAILED', 'FAILED'],
  // Terminal states only move on resume, which starts the run over from INIT.
  STOP_FAILED: ['INIT'],
  FINISHED: ['INIT'],
  FAILED: ['INIT'],
  ABORTED: ['INIT'],
};

export function isTerminal(state: ControllerState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function isStopping(state: ControllerState): boolean {
  return STOPPING.includes(state);
}

export function canTransition(from: ControllerState, to: ControllerState): boolean {
  return CONTROLLER_TRANSITIONS[from].includes(to);
}

/**
 * Validates a move and returns the new state.
 * @example
 * transition('INIT', 'RUNNING_GLOBAL_SETUP'); // 'RUNNING_GLOBAL_SETUP'
 * transition('FINISHED', 'RUNNING_WORKLOADS'); // throws IllegalTransitionError
 */
export function transition(from: ControllerState, to: ControllerState): ControllerState {
  if (!canTransition(from, to)) throw new IllegalTransitionError('controller', from, to);
  return to;
}

/** The stopping state that matches the phase a stop request interrupts. */
export function stoppingStateFor(state: ControllerState): ControllerState | undefined {
  switch (state) {
    case 'INIT':
      return 'STOPPING_TEARDOWN';
    case 'RUNNING_GLOBAL_SETUP':
      return 'STOPPING_INTERRUPT_SETUP';
    case 'RUNNING_WORKLOADS':
      return 'STOPPING_WAIT_RUNNERS';
    case 'RUNNING_GLOBAL_TEARDOWN':
      return 'STOPPING_INTERRUPT_TEARDOWN';
    default:
      return undefined;
  }
}
