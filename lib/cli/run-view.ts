/**
 * The run as `show` and `status` present it, and the `--json` shape scripts rely on:
 * `{runId, name, state, counts, tasks: [{key, host, workload, rep, warmup, status, durationMs, exitCode, metrics, error}]}`
 * plus the audit trail, excluded hosts and the settings of each workload the run runs (a matrix's variants
 * with their options). Built from the journal and the catalog through the ports,
 * so the local and aws targets print the same thing.
 */
import { isTerminal } from '../core/controller-state.js';
import { RunNotFoundError } from '../core/errors.js';
import type { HostRecord } from '../core/host-lifecycle.js';
import type { CatalogRepo, JournalRepo } from '../core/ports.js';
import type { CatalogEntry, StateRecord, StopRequest, TaskRecord } from '../core/run.js';
import { countByStatus, type TaskCounts } from '../core/task-state.js';
import { type MatrixValue, planWorkloads } from '../core/workload-variants.js';

export type TaskView = {
  readonly key: string;
  readonly host: string;
  readonly workload: string;
  readonly rep: number;
  /** A warm-up repetition: shown, exported, left out of the statistics. */
  readonly warmup: boolean;
  readonly status: TaskRecord['status'];
  readonly attempts: number;
  readonly startedAt: string | null;
  readonly durationMs: number | null;
  readonly exitCode: number | null;
  readonly metrics: Record<string, { value: number; unit: string }>;
  readonly error: string | null;
  readonly errorType: string | null;
  readonly outputRef: string | null;
};

export type WorkloadSettings = {
  readonly name: string;
  /** The plan's workload it comes from: its own name, or the workload whose matrix made this variant. */
  readonly of: string;
  readonly plugin: string;
  /** A variant's matrix values; empty without a matrix. */
  readonly parameters: Readonly<Record<string, MatrixValue>>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly warmup: number;
  readonly repetitions: number;
};

export type RunView = {
  readonly runId: string;
  readonly name: string;
  readonly state: CatalogEntry['state'];
  readonly target: CatalogEntry['target'];
  readonly reason: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly hosts: readonly string[];
  /** In plan order. */
  readonly workloads: readonly string[];
  /** Each of `workloads` as it runs: plugin, options (a variant's values in them), repetitions. */
  readonly workloadSettings: readonly WorkloadSettings[];
  readonly excludedHosts: readonly { host: string; reason: string }[];
  readonly attempt: number;
  readonly stopRequest: StopRequest | null;
  readonly counts: TaskCounts;
  readonly tasks: readonly TaskView[];
  readonly states: readonly StateRecord[];
  /** Ephemeral hosts fleetbench launched for the run (aws `hosts: {provision}`), with their lifecycle. */
  readonly provisionedHosts: readonly HostRecord[];
};

export async function loadRunView(
  repos: { journal: JournalRepo; catalog: CatalogRepo },
  runId: string,
): Promise<RunView> {
  const [entry, meta] = await Promise.all([repos.catalog.get(runId), repos.journal.getRun(runId)]);
  if (!entry || !meta) throw new RunNotFoundError(runId);
  const [tasks, states, provisionedHosts] = await Promise.all([
    repos.journal.listTasks(runId),
    repos.journal.listStates(runId),
    repos.journal.listHostRecords?.(runId) ?? Promise.resolve([]),
  ]);
  return {
    runId,
    name: entry.name,
    state: entry.state,
    target: entry.target,
    // While a resumed run goes on, the previous attempt's ending (reason, finish time) is history, not its state.
    reason: isTerminal(entry.state) ? (entry.reason ?? null) : null,
    createdAt: entry.createdAt,
    finishedAt: isTerminal(entry.state) ? (entry.finishedAt ?? null) : null,
    hosts: entry.hosts,
    workloads: entry.workloads,
    workloadSettings: planWorkloads(meta.plan).map((w) => ({
      name: w.name,
      of: w.of,
      plugin: w.plugin,
      parameters: w.parameters,
      options: w.options,
      warmup: w.warmup,
      repetitions: w.repetitions,
    })),
    excludedHosts: meta.excludedHosts.map((e) => ({ host: e.host.name, reason: e.reason })),
    attempt: meta.attempt,
    stopRequest: entry.stopRequest ?? null,
    counts: countByStatus(tasks),
    tasks: inPlanOrder(tasks, entry.workloads).map(taskView),
    states,
    provisionedHosts,
  };
}

/** Workloads in the order the plan runs them, then repetition, then host (the journal sorts by name). */
function inPlanOrder(tasks: readonly TaskRecord[], workloads: readonly string[]): TaskRecord[] {
  const rank = new Map(workloads.map((w, i) => [w, i]));
  return [...tasks].sort(
    (a, b) =>
      (rank.get(a.workload) ?? 0) - (rank.get(b.workload) ?? 0) ||
      a.rep - b.rep ||
      a.host.localeCompare(b.host),
  );
}

function taskView(t: TaskRecord): TaskView {
  return {
    key: t.key,
    host: t.host,
    workload: t.workload,
    rep: t.rep,
    warmup: t.warmup === true,
    status: t.status,
    attempts: t.attempts,
    startedAt: t.startedAt ?? null,
    durationMs: t.durationMs ?? null,
    exitCode: t.exitCode ?? null,
    metrics: Object.fromEntries((t.metrics ?? []).map((m) => [m.name, { value: m.value, unit: m.unit }])),
    error: t.error ?? null,
    errorType: t.errorType ?? null,
    outputRef: t.outputRef ?? null,
  };
}
