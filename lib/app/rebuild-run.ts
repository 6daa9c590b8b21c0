/**
 * The journal checked against what a run leaves beside it, and rebuilt from it. Every run also writes its
 * META (`run.json`) and its CloudEvents (`events.jsonl`) next to its outputs; those files survive a
 * damaged database, so they tell whether the journal lost something (a run it does not know, a run whose
 * end it forgot) and are enough to rebuild a run: its tasks with their results and metrics, its audit
 * trail, its catalog entry. Command records, host records and policy marks are not rebuilt: they matter
 * while a run is going on only.
 */
import { type CloudEvent, EVENT_TYPES } from '../core/cloudevents.js';
import type { ControllerState } from '../core/controller-state.js';
import { isTerminal } from '../core/controller-state.js';
import type { Deps } from '../core/ports.js';
import type { CatalogEntry, RunMeta, StateRecord, TaskRecord } from '../core/run.js';
import { countByStatus } from '../core/task-state.js';
import { planWorkloads } from '../core/workload-variants.js';
import { buildTasks } from './plan-run.js';

/** What a run left on disk, as the local target keeps it under `<dataDir>/runs/<runId>/`. */
export type RunFiles = {
  /** Ids of the runs with an events file, but not those removed from the catalog on purpose (`rm`). */
  list(): Promise<string[]>;
  events(runId: string): Promise<CloudEvent[]>;
  meta(runId: string): Promise<RunMeta | undefined>;
};

/** A run the journal lost (part of), and whether its files allow rebuilding it. */
export type RunDamage = { readonly runId: string; readonly problem: string; readonly rebuildable: boolean };

const TASK_EVENTS: ReadonlySet<string> = new Set([
  EVENT_TYPES.taskCompleted,
  EVENT_TYPES.taskFailed,
  EVENT_TYPES.taskSkipped,
  EVENT_TYPES.taskCancelled,
]);

/**
 * The runs whose files say more than the journal: on disk but not in the catalog, or finished (their last
 * attempt's `run.finished` event) while the catalog still has them going on.
 * @example
 * const damage = await findRunDamage(deps, files);
 * if (damage.length > 0) throw new DatabaseDamagedError(...);
 */
export async function findRunDamage(
  deps: Pick<Deps, 'journal' | 'catalog'>,
  files: RunFiles,
): Promise<RunDamage[]> {
  const onDisk = await files.list();
  if (onDisk.length === 0) return [];
  // One listing finds most; a run it leaves out (the catalog holds more runs than the disk) is read alone.
  const listed = new Map((await deps.catalog.list({ limit: onDisk.length })).map((e) => [e.runId, e]));
  const entries = await Promise.all(onDisk.map((runId) => listed.get(runId) ?? deps.catalog.get(runId)));
  const damage: RunDamage[] = [];
  for (const [i, runId] of onDisk.entries()) {
    const entry = entries[i];
    if (entry === undefined) {
      const events = await files.events(runId);
      // A run being created right now writes its catalog entry before its first event.
      if (!events.some((e) => e.type === EVENT_TYPES.runStarted)) continue;
      // Its events were read after the catalog: a run created in between is in the catalog now.
      if ((await deps.catalog.get(runId)) !== undefined) continue;
      const rebuildable = (await files.meta(runId)) !== undefined;
      damage.push({ runId, problem: 'is on disk but not in the catalog', rebuildable });
      continue;
    }
    if (isTerminal(entry.state)) continue;
    const finished = lastFinished(await files.events(runId));
    if (finished === undefined) continue;
    // A run records its end in the catalog before its event: one that ended after the catalog was read
    // (another engine's, right now) is terminal in a read made after its events.
    const now = await deps.catalog.get(runId);
    if (now === undefined || isTerminal(now.state)) continue;
    const meta = await deps.journal.getRun(runId);
    // A resume writes its new attempt to META before it moves the catalog on.
    if (meta !== undefined && meta.attempt > Number(finished.data.attempt)) continue;
    damage.push({
      runId,
      problem: `ended ${String(finished.data.state)} (its events) but the catalog says ${now.state}`,
      rebuildable: (await files.meta(runId)) !== undefined,
    });
  }
  return damage;
}

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

function lastFinished(events: readonly CloudEvent[]): CloudEvent | undefined {
  const runLevel = events.filter(
    (e) => e.type === EVENT_TYPES.runFinished || e.type === EVENT_TYPES.runStarted,
  );
  const last = runLevel.at(-1);
  return last?.type === EVENT_TYPES.runFinished ? last : undefined;
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
