import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../lib/core/errors.js';
import {
  assertTaskTransition,
  canTransitionTask,
  countByStatus,
  emptyCounts,
  runnableStatuses,
  TASK_STATUSES,
  TASK_TRANSITIONS,
} from '../../lib/core/task-state.js';

const pairs = TASK_STATUSES.flatMap((from) => TASK_STATUSES.map((to) => [from, to] as const));
const allowed = pairs.filter(([from, to]) => TASK_TRANSITIONS[from].includes(to));
const illegal = pairs.filter(([from, to]) => !TASK_TRANSITIONS[from].includes(to));

describe('Function: assertTaskTransition', () => {
  it.each(allowed)('allows %s -> %s', (from, to) => {
    expect(canTransitionTask(from, to)).toBe(true);
    expect(() => assertTaskTransition(from, to)).not.toThrow();
  });

  it.each(illegal)('refuses %s -> %s', (from, to) => {
    expect(canTransitionTask(from, to)).toBe(false);
    expect(() => assertTaskTransition(from, to)).toThrow(IllegalTransitionError);
    expect(() => assertTaskTransition(from, to)).toThrow(`illegal task transition ${from} -> ${to}`);
  });

  it('covers the whole cartesian product', () => {
    expect(allowed.length + illegal.length).toBe(TASK_STATUSES.length ** 2);
    expect(Object.keys(TASK_TRANSITIONS).sort()).toEqual([...TASK_STATUSES].sort());
  });

  it.each(TASK_STATUSES)('never lets a COMPLETED task become %s', (to) => {
    expect(canTransitionTask('COMPLETED', to)).toBe(false);
  });
});

describe('Function: runnableStatuses', () => {
  it.each([
    [{}, ['PENDING', 'RUNNING', 'FAILED', 'CANCELLED']],
    [{ onlyFailed: false }, ['PENDING', 'RUNNING', 'FAILED', 'CANCELLED']],
    [{ onlyFailed: true }, ['FAILED', 'CANCELLED']],
  ])('with %j gives %j', (options, statuses) => {
    expect(runnableStatuses(options)).toEqual(statuses);
  });

  it.each(runnableStatuses())('lets a runnable %s task start running', (status) => {
    expect(canTransitionTask(status, 'RUNNING')).toBe(true);
  });
});

describe('Function: countByStatus', () => {
  it('counts each status under its lowercase name', () => {
    const tasks = ['PENDING', 'COMPLETED', 'COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED', 'RUNNING'] as const;
    expect(countByStatus(tasks.map((status) => ({ status })))).toStrictEqual({
      pending: 1,
      running: 1,
      completed: 2,
      failed: 1,
      skipped: 1,
      cancelled: 1,
    });
  });

  it('gives zero counts for no tasks', () => {
    expect(countByStatus([])).toStrictEqual(emptyCounts());
  });
});
