import { describe, expect, it } from 'vitest';
import {
  ACTIVE_STATES,
  CONTROLLER_STATES,
  CONTROLLER_TRANSITIONS,
  type ControllerState,
  canTransition,
  isStopping,
  isTerminal,
  stoppingStateFor,
  TERMINAL_STATES,
  transition,
} from '../../lib/core/controller-state.js';
import { IllegalTransitionError } from '../../lib/core/errors.js';

const pairs = CONTROLLER_STATES.flatMap((from) => CONTROLLER_STATES.map((to) => [from, to] as const));
const allowed = pairs.filter(([from, to]) => CONTROLLER_TRANSITIONS[from].includes(to));
const illegal = pairs.filter(([from, to]) => !CONTROLLER_TRANSITIONS[from].includes(to));

describe('Function: transition', () => {
  it.each(allowed)('moves from %s to %s', (from, to) => {
    expect(transition(from, to)).toBe(to);
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(illegal)('refuses to move from %s to %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => transition(from, to)).toThrow(IllegalTransitionError);
    expect(() => transition(from, to)).toThrow(`illegal controller transition ${from} -> ${to}`);
  });

  it('has a table entry for every state and only known targets', () => {
    expect(Object.keys(CONTROLLER_TRANSITIONS).sort()).toEqual([...CONTROLLER_STATES].sort());
    for (const targets of Object.values(CONTROLLER_TRANSITIONS)) {
      for (const to of targets) expect(CONTROLLER_STATES).toContain(to);
    }
    expect(allowed.length + illegal.length).toBe(CONTROLLER_STATES.length ** 2);
  });

  it.each(TERMINAL_STATES)('lets the terminal state %s move only to INIT (resume)', (state) => {
    expect(CONTROLLER_TRANSITIONS[state]).toEqual(['INIT']);
  });

  it.each(ACTIVE_STATES)('lets the active state %s reach a terminal state', (state) => {
    const seen = new Set<ControllerState>([state]);
    const queue: ControllerState[] = [state];
    while (queue.length > 0) {
      const current = queue.shift() as ControllerState;
      for (const next of CONTROLLER_TRANSITIONS[current]) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    expect(TERMINAL_STATES.some((terminal) => seen.has(terminal))).toBe(true);
  });
});

describe('Function: isTerminal', () => {
  it.each(
    CONTROLLER_STATES.map((state) => [state, TERMINAL_STATES.includes(state)] as const),
  )('says %s is terminal: %s', (state, terminal) => {
    expect(isTerminal(state)).toBe(terminal);
    expect(ACTIVE_STATES.includes(state)).toBe(!terminal);
  });
});

describe('Function: isStopping', () => {
  it.each(
    CONTROLLER_STATES.map((state) => [state, state.startsWith('STOPPING_')] as const),
  )('says %s is stopping: %s', (state, stopping) => {
    expect(isStopping(state)).toBe(stopping);
  });
});

describe('Function: stoppingStateFor', () => {
  it.each([
    ['INIT', 'STOPPING_TEARDOWN'],
    ['RUNNING_GLOBAL_SETUP', 'STOPPING_INTERRUPT_SETUP'],
    ['RUNNING_WORKLOADS', 'STOPPING_WAIT_RUNNERS'],
    ['RUNNING_GLOBAL_TEARDOWN', 'STOPPING_INTERRUPT_TEARDOWN'],
    ...CONTROLLER_STATES.filter((state) => state !== 'INIT' && !state.startsWith('RUNNING_')).map(
      (state) => [state, undefined] as const,
    ),
  ] as const)('maps %s to %s', (state, stopping) => {
    expect(stoppingStateFor(state)).toBe(stopping);
  });

  it.each([
    'INIT',
    'RUNNING_GLOBAL_SETUP',
    'RUNNING_WORKLOADS',
    'RUNNING_GLOBAL_TEARDOWN',
  ] as const)('names a stopping state that %s may move to', (state) => {
    const stopping = stoppingStateFor(state);
    expect(stopping && canTransition(state, stopping)).toBe(true);
  });
});
