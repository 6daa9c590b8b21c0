/**
 * The bridge from what the CLI loads (a RunView: catalog entry plus journal tasks) to what the pure
 * report code takes, so `report`, `compare` and `export` agree on which run data the statistics see.
 */
import type { ReportInput } from '../../core/report/samples.js';
import type { RunView } from '../run-view.js';

/**
 * @example
 * const report = buildRunReport(reportInputOf(await loadRunView(deps, runId)));
 */
export function reportInputOf(view: RunView): ReportInput {
  return {
    run: {
      runId: view.runId,
      name: view.name,
      state: view.state,
      createdAt: view.createdAt,
      finishedAt: view.finishedAt,
      hosts: view.hosts,
      workloads: view.workloads,
      counts: view.counts,
      ...warmups(view),
    },
    tasks: view.tasks.map((t) => ({
      host: t.host,
      workload: t.workload,
      rep: t.rep,
      status: t.status,
      warmup: t.warmup,
      metrics: Object.entries(t.metrics).map(([name, m]) => ({ name, value: m.value, unit: m.unit })),
    })),
  };
}

/** How many warm-up tasks the run has, when it has any (the field stays out of reports of runs without). */
function warmups(view: RunView): { warmupTasks?: number } {
  const count = view.tasks.filter((t) => t.warmup).length;
  return count > 0 ? { warmupTasks: count } : {};
}
