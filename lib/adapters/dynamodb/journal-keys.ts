/**
 * The journal's key schema, in one place: one partition per run, `pk = RUN#<runId>`, and
 * `sk = META | TASK#<workload>#<rep:04>#<host> | CMD#<commandId> | CMDH#<commandId>#<part:04> |
 * CMDO#<commandId>#<hostId> | OUT#<commandId>#<hostId> | STATE#<iso-ts>#<seq:06> | HOST#<instanceId>`, and
 * outside the runs' partitions
 * `pk = PROVIDER#<providerId>, sk = PROVIDER`, where a runner's command id (SSM CommandId) points to its run
 * and command. Sort keys are chosen so one
 * `begins_with` Query returns what a caller asks for in order (a workload's repetitions, a command's parts).
 * The task's sort key is the core's (task-key.ts), which also refuses repetitions it could not sort.
 */
import { taskSortKey } from '../../core/task-key.js';

export { taskSortKey };

/** `pk` of a run's partition. */
export const runPartitionKey = (runId: string): string => `RUN#${runId}`;

/** `sk` of a run's META item (the validated plan and the attempt). */
export const META_SORT_KEY = 'META';

/** Prefixes of every kind of item a run's partition holds, for `begins_with` queries. */
export const SortKeyPrefix = {
  task: 'TASK#',
  command: 'CMD#',
  state: 'STATE#',
  host: 'HOST#',
} as const;

/**
 * The prefix of a run's tasks, narrowed to a workload and, within it, to a repetition.
 * @example
 * taskPrefix({ workload: 'cpu', rep: 2 }); // 'TASK#cpu#0002#'
 */
export function taskPrefix(filter: { workload?: string; rep?: number }): string {
  if (filter.workload === undefined) return SortKeyPrefix.task;
  const workload = `${SortKeyPrefix.task}${filter.workload}#`;
  return filter.rep === undefined ? workload : `${workload}${String(filter.rep).padStart(4, '0')}#`;
}

/** Hosts per `CMDH#` item: an SSM batch, ~4 KB. */
export const HOSTS_PER_PART = 50;

/** `sk` of a command's summary. */
export const commandSortKey = (commandId: string): string => `${SortKeyPrefix.command}${commandId}`;
/** Prefix of a command's host-list parts (`CMDH#<id>#<part:04>`). */
export const commandHostsPrefix = (commandId: string): string => `CMDH#${commandId}#`;
/** `sk` of part `index` of a command's host list. */
export const commandHostsPartKey = (commandId: string, index: number): string =>
  `${commandHostsPrefix(commandId)}${String(index).padStart(4, '0')}`;
/** Prefix of a command's per-host outcomes (`CMDO#<id>#<hostId>`). */
export const commandOutcomesPrefix = (commandId: string): string => `CMDO#${commandId}#`;
/** `sk` of one host's outcome on a command. */
export const commandOutcomeKey = (commandId: string, hostId: string): string =>
  `${commandOutcomesPrefix(commandId)}${hostId}`;

/** `sk` of one host's output on a command, kept in the journal when the runner returned it whole (SSM). */
export const outputSortKey = (commandId: string, hostId: string): string => `OUT#${commandId}#${hostId}`;

/** `sk` of a controller state record: sorted by time, then by sequence within the same millisecond. */
export const stateSortKey = (record: { readonly at: string; readonly seq: number }): string =>
  `${SortKeyPrefix.state}${record.at}#${String(record.seq).padStart(6, '0')}`;

/** `sk` of an ephemeral host's lifecycle record. */
export const hostSortKey = (instanceId: string): string => `${SortKeyPrefix.host}${instanceId}`;

/**
 * The attribute a close writes to tell its own re-sent request that the close landed (journal-repo's
 * closeCommand): the journal's bookkeeping, not part of the record.
 */
export const CLOSED_BY = 'closedBy';

/** The stored item as the record it holds: without the table's key attributes and CLOSED_BY. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  const record = { ...item };
  delete record.pk;
  delete record.sk;
  delete record[CLOSED_BY];
  return record as T;
}

/** `pk` of the item that maps a runner's command id (SSM CommandId) to its run and command. */
export const providerPartitionKey = (providerId: string): string => `PROVIDER#${providerId}`;

/** `sk` of that item. */
export const PROVIDER_SORT_KEY = 'PROVIDER';
