/**
 * What the statistics are computed from: every metric value of a run's COMPLETED tasks, grouped by
 * workload × metric × unit, each value tagged with its host and repetition. FAILED, CANCELLED and other
 * tasks contribute nothing: their metrics (if any) describe a run that did not finish its work. Nor do
 * warm-up repetitions: they exist to bring caches and clocks to a steady state, so their values are not
 * results. Every report format, `compare` and the exported report.json take their series from here.
 *
 * The unit is part of the key: a shell script that reports `elapsed` in ms in one run and in s in the
 * next produces two series, never a mean of milliseconds and seconds. Series come out in a fixed order
 * (workloads as the plan lists them, then metric name, then unit; values by host order then repetition),
 * so everything built on them is deterministic.
 */
import type { ControllerState } from '../controller-state.js';
import type { Metric } from '../plugins/types.js';
import type { TaskCounts, TaskStatus } from '../task-state.js';

/** The run as the report describes it (catalog fields). */
export type ReportRun = {
  readonly runId: string;
  readonly name: string;
  readonly state: ControllerState;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  /** In plan order. */
  readonly hosts: readonly string[];
  /** In plan order. */
  readonly workloads: readonly string[];
  readonly counts: TaskCounts;
  /** Tasks of warm-up repetitions (counted in `counts`, left out of every series); absent means none. */
  readonly warmupTasks?: number;
};

/** One task as the report needs it. */
export type ReportTask = {
  readonly host: string;
  readonly workload: string;
  readonly rep: number;
  readonly status: TaskStatus;
  /** A warm-up repetition: left out of every series. */
  readonly warmup?: boolean;
  readonly metrics: readonly Metric[];
};

export type ReportInput = { readonly run: ReportRun; readonly tasks: readonly ReportTask[] };

export type Sample = { readonly host: string; readonly rep: number; readonly value: number };

export type Series = {
  readonly workload: string;
  readonly metric: string;
  readonly unit: string;
  readonly samples: readonly Sample[];
};

/**
 * The identity of a series across runs: workload, metric and unit joined by NUL (which no name contains).
 * @example
 * seriesKey({ workload: 'cpu', metric: 'bogo_ops', unit: 'ops' }); // 'cpu\u0000bogo_ops\u0000ops'
 */
export function seriesKey(s: Pick<Series, 'workload' | 'metric' | 'unit'>): string {
  return `${s.workload}\u0000${s.metric}\u0000${s.unit}`;
}

function rank(order: readonly string[]): (name: string) => number {
  const index = new Map(order.map((name, i) => [name, i]));
  return (name) => index.get(name) ?? order.length;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Groups the COMPLETED tasks' metric values into series.
 * @example
 * collectSeries({ run, tasks: [{ host: 'host-1', workload: 'cpu', rep: 1, status: 'COMPLETED',
 *   metrics: [{ name: 'bogo_ops', value: 1200, unit: 'ops' }] }] });
 * // [{ workload: 'cpu', metric: 'bogo_ops', unit: 'ops', samples: [{ host: 'host-1', rep: 1, value: 1200 }] }]
 */
export function collectSeries(input: ReportInput): Series[] {
  const byKey = new Map<string, { workload: string; metric: string; unit: string; samples: Sample[] }>();
  for (const task of input.tasks) {
    if (task.status !== 'COMPLETED' || task.warmup === true) continue;
    for (const m of task.metrics) {
      if (!Number.isFinite(m.value)) continue;
      const id = { workload: task.workload, metric: m.name, unit: m.unit };
      const key = seriesKey(id);
      let series = byKey.get(key);
      if (!series) {
        series = { ...id, samples: [] };
        byKey.set(key, series);
      }
      series.samples.push({ host: task.host, rep: task.rep, value: m.value });
    }
  }
  const workloadRank = rank(input.run.workloads);
  const hostRank = rank(input.run.hosts);
  const series = [...byKey.values()];
  for (const s of series) {
    s.samples.sort((a, b) => hostRank(a.host) - hostRank(b.host) || byText(a.host, b.host) || a.rep - b.rep);
  }
  return series.sort(
    (a, b) =>
      workloadRank(a.workload) - workloadRank(b.workload) ||
      byText(a.workload, b.workload) ||
      byText(a.metric, b.metric) ||
      byText(a.unit, b.unit),
  );
}

/**
 * The hosts of a series, in run order (samples are sorted by host, so first appearance is that order).
 * @example
 * hostsOf(series); // ['host-1', 'host-2']
 */
export function hostsOf(series: Series): string[] {
  return [...new Set(series.samples.map((s) => s.host))];
}
