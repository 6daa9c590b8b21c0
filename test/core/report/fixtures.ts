/** Builders for report inputs: a run and its tasks, written as compactly as the tests read. */
import type { ReportInput, ReportRun, ReportTask } from '../../../lib/core/report/samples.js';
import type { TaskStatus } from '../../../lib/core/task-state.js';

export function reportRun(overrides: Partial<ReportRun> = {}): ReportRun {
  return {
    runId: 'demo-20260101-120000-ab12',
    name: 'demo',
    state: 'FINISHED',
    createdAt: '2026-01-01T12:00:00.000Z',
    finishedAt: '2026-01-01T12:01:00.000Z',
    hosts: ['host-1', 'host-2', 'host-3'],
    workloads: ['cpu', 'disk'],
    counts: { pending: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
    ...overrides,
  };
}

/**
 * Tasks of one workload and metric from a table of values per host, one value per repetition.
 * @example
 * tasksOf('cpu', 'ops', 'ops/s', { 'host-1': [10, 11], 'host-2': [12, 13] });
 */
export function tasksOf(
  workload: string,
  metric: string,
  unit: string,
  valuesByHost: Record<string, readonly number[]>,
  status: TaskStatus = 'COMPLETED',
): ReportTask[] {
  return Object.entries(valuesByHost).flatMap(([host, values]) =>
    values.map((value, i) => ({
      host,
      workload,
      rep: i + 1,
      status,
      metrics: [{ name: metric, value, unit }],
    })),
  );
}

export function input(tasks: readonly ReportTask[], run: Partial<ReportRun> = {}): ReportInput {
  return { run: reportRun(run), tasks };
}
