/**
 * A run rebuilt from what it leaves beside the journal. Every run also writes its META (`run.json`) and its
 * CloudEvents (`events.jsonl`) next to its outputs; those files survive a damaged database and are enough
 * to rebuild a run the journal lost (run-damage.ts finds them): its tasks with their results and metrics,
 * its audit trail, its catalog entry. Command records, host records and policy marks are not rebuilt: they matter
 * while a run is going on only.
 */
import { EVENT_TYPES } from '../core/cloudevents.js';
import type { ControllerState } from '../core/controller-state.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry, StateRecord, TaskRecord } from '../core/run.js';
import { countByStatus } from '../core/task-state.js';
import { planWorkloads } from '../core/workload-variants.js';
import { buildTasks } from './plan-run.js';
import type { RunFiles } from './run-damage.js';

const TASK_EVENTS: ReadonlySet<string> = new Set([
  EVENT_TYPES.taskCompleted,
  EVENT_TYPES.taskFailed,
  EVENT_TYPES.taskSkipped,
  EVENT_TYPES.taskCancelled,
]);

/**
 * Writes a run the journal does not have from its files: META, every task (PENDING unless an event says
 * otherwise), the audit trail and the catalog entry.
 * @example
 * await rebuildRun(deps, files, 'cpu-20250101-120000-ab12');
 */
export async function rebuildRun(
  deps: Pick<Deps, 'journal' | 'catalog'>,
  files: RunFiles,
  runId: string,
): Promise<CatalogEntry> {
  const meta = await files.meta(runId);
  if (meta === undefined) throw new Error(`run ${runId} has no run.json to rebuild it from`);
  const events = await files.events(runId);
  const tasks = new Map(buildTasks(runId, meta.plan, meta.hosts).map((t) => [t.key, t]));
  const states: StateRecord[] = [];
  let state: ControllerState = 'INIT';
  let finishedAt: string | undefined;
  let reason: string | undefined;
  for (const event of events) {
    const data = event.data as Record<string, unknown>;
    if (TASK_EVENTS.has(event.type)) {
      const key = String(data.key);
      const before = tasks.get(key);
      if (before !== undefined) tasks.set(key, taskFromEvent(before, data));
    } else if (event.type === EVENT_TYPES.runStateChanged) {
      const record: StateRecord = {
        at: event.time,
        seq: Number(data.seq),
        from: (data.from ?? null) as ControllerState | null,
        to: data.to as ControllerState,
        reason: String(data.reason ?? ''),
      };
      states.push(record);
      state = record.to;
    } else if (event.type === EVENT_TYPES.runFinished) {
      state = data.state as ControllerState;
      finishedAt = event.time;
      reason = typeof data.reason === 'string' ? data.reason : undefined;
    } else if (event.type === EVENT_TYPES.runStarted) {
      finishedAt = undefined;
    }
  }
  const records = [...tasks.values()];
  const started = events.find((e) => e.type === EVENT_TYPES.runStarted);
  const entry: CatalogEntry = {
    runId,
    name: meta.plan.name,
    state,
    target: meta.target,
    hosts: meta.hosts.map((h) => h.name),
    workloads: planWorkloads(meta.plan).map((w) => w.name),
    counts: countByStatus(records),
    createdAt: started?.time ?? meta.createdAt,
    updatedAt: events.at(-1)?.time ?? meta.updatedAt,
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
  if ((await deps.journal.getRun(runId)) === undefined) {
    await deps.journal.createRun(meta);
    await deps.journal.putTasks(runId, records);
    for (const record of states) await deps.journal.appendState(runId, record);
  }
  await deps.catalog.create(entry);
  return entry;
}

function taskFromEvent(before: TaskRecord, data: Record<string, unknown>): TaskRecord {
  const pick = <K extends keyof TaskRecord>(name: K): Partial<Pick<TaskRecord, K>> =>
    data[name] === undefined || data[name] === null ? {} : ({ [name]: data[name] } as Pick<TaskRecord, K>);
  return {
    ...before,
    status: data.status as TaskRecord['status'],
    attempts: Number(data.attempt ?? before.attempts),
    ...pick('startedAt'),
    ...pick('finishedAt'),
    ...pick('durationMs'),
    ...pick('exitCode'),
    ...pick('error'),
    ...pick('errorType'),
    ...pick('errorContext'),
    ...pick('metrics'),
    ...pick('outputRef'),
  };
}
