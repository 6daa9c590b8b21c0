/**
 * The task state machine. A task is one repetition of one workload on one host (`host::workload::rep`).
 * COMPLETED never regresses; FAILED and CANCELLED tasks may run again on resume; SKIPPED tasks stay skipped.
 */
import { IllegalTransitionError } from './errors.js';

export const TASK_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Allowed moves. RUNNING -> RUNNING is a re-run of a stale task after the engine died. */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  PENDING: ['RUNNING', 'SKIPPED', 'CANCELLED'],
  RUNNING: ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'],
  FAILED: ['RUNNING', 'SKIPPED'],
  CANCELLED: ['RUNNING', 'SKIPPED'],
  SKIPPED: [],
  COMPLETED: [],
};

export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/**
 * @example
 * assertTaskTransition('RUNNING', 'COMPLETED'); // ok
 * assertTaskTransition('COMPLETED', 'RUNNING'); // throws IllegalTransitionError
 */
export function assertTaskTransition(from: TaskStatus, to: TaskStatus): void {
  if (!canTransitionTask(from, to)) throw new IllegalTransitionError('task', from, to);
}

/** The statuses a task may be in for it to be (re)scheduled. */
export function runnableStatuses(options: { onlyFailed?: boolean } = {}): readonly TaskStatus[] {
  return options.onlyFailed
    ? (['FAILED', 'CANCELLED'] as const)
    : (['PENDING', 'RUNNING', 'FAILED', 'CANCELLED'] as const);
}

export type TaskCounts = Record<Lowercase<TaskStatus>, number>;

export function emptyCounts(): TaskCounts {
  return { pending: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
}

export function countByStatus(tasks: Iterable<{ status: TaskStatus }>): TaskCounts {
  const counts = emptyCounts();
  for (const t of tasks) counts[t.status.toLowerCase() as Lowercase<TaskStatus>] += 1;
  return counts;
}
