/**
 * Names of runs and tasks. A task is `host::workload::rep` for people and logs, and
 * `TASK#<workload>#<rep:04>#<host>` as a journal sort key so a Query returns a workload's
 * repetitions in order. Run ids become file paths and DynamoDB keys, hence their strict alphabet.
 * Everything here is deterministic: the same run and task always give the same key and seed.
 */
import { createHash } from 'node:crypto';
import { UsageError } from './errors.js';

const SEPARATOR = '::';
/** Sort keys pad the repetition to 4 digits; plan.ts caps repetitions to match. */
const MAX_SORTABLE_REP = 9999;
const MAX_SLUG = 24;
const RUN_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*-\d{8}-\d{6}-[a-z0-9]{4}$/;
/** `-yyyymmdd-hhmmss-xxxx` */
const RUN_ID_SUFFIX_LENGTH = 22;
const RUN_ID_ALPHABET = /^[a-z0-9][a-z0-9-]{0,99}$/;

export type TaskRef = { readonly host: string; readonly workload: string; readonly rep: number };

function assertRep(rep: number): void {
  if (!Number.isInteger(rep) || rep < 1)
    throw new UsageError(`invalid repetition ${rep}: must be an integer >= 1`);
}

/**
 * @example
 * taskKey('host-1', 'cpu', 2); // 'host-1::cpu::2'
 */
export function taskKey(host: string, workload: string, rep: number): string {
  for (const [what, value] of [
    ['host', host],
    ['workload', workload],
  ] as const) {
    if (value === '' || value.includes(SEPARATOR)) {
      throw new UsageError(`invalid ${what} name ${JSON.stringify(value)} for a task key`, {
        hint: `names are not empty and do not contain "${SEPARATOR}"`,
      });
    }
  }
  assertRep(rep);
  return `${host}${SEPARATOR}${workload}${SEPARATOR}${rep}`;
}

/**
 * The inverse of `taskKey`.
 * @throws UsageError when the key is not `host::workload::rep` with rep a positive integer
 * @example
 * parseTaskKey('host-1::cpu::2'); // { host: 'host-1', workload: 'cpu', rep: 2 }
 */
export function parseTaskKey(key: string): TaskRef {
  const parts = key.split(SEPARATOR);
  const [host, workload, rep] = parts;
  if (parts.length !== 3 || !host || !workload || !rep || !/^[1-9]\d*$/.test(rep)) {
    throw new UsageError(`invalid task key ${JSON.stringify(key)}`, {
      hint: 'a task key is host::workload::rep, e.g. host-1::cpu::2',
    });
  }
  return { host, workload, rep: Number(rep) };
}

/**
 * The journal sort key of a task.
 * @example
 * taskSortKey({ workload: 'cpu', rep: 2, host: 'host-1' }); // 'TASK#cpu#0002#host-1'
 */
export function taskSortKey(task: Pick<TaskRef, 'workload' | 'rep' | 'host'>): string {
  assertRep(task.rep);
  if (task.rep > MAX_SORTABLE_REP)
    throw new UsageError(`repetition ${task.rep} is above ${MAX_SORTABLE_REP}`);
  return `TASK#${task.workload}#${String(task.rep).padStart(4, '0')}#${task.host}`;
}

/**
 * The task's deterministic seed, exported to its command as FLEETBENCH_SEED: the first 32 bits of
 * sha256(runId + NUL + key) as an unsigned decimal string. A resumed or re-run task gets the same seed.
 * @example
 * taskSeed('demo-20250101-120000-ab12', 'host-1::cpu::1'); // e.g. '2847301223'
 */
export function taskSeed(runId: string, key: string): string {
  return String(createHash('sha256').update(`${runId}\0${key}`).digest().readUInt32BE(0));
}

function slug(name: string): string {
  const full = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return full.slice(0, MAX_SLUG).replace(/-+$/, '') || 'run';
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * A new run id: `<slug of the plan name, ≤ 24 chars>-<yyyymmdd>-<hhmmss>-<4 base36 chars>`, in UTC.
 * `random` is injected (Math.random in production) so tests are deterministic.
 * @example
 * newRunId('CPU & Disk', new Date('2025-01-02T03:04:05Z'), () => 0.5); // 'cpu-disk-20250102-030405-i000'
 */
export function newRunId(name: string, now: Date, random: () => number): string {
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  const space = 36 ** 4;
  const draw = Math.min(space - 1, Math.max(0, Math.floor(random() * space)));
  return `${slug(name)}-${date}-${time}-${draw.toString(36).padStart(4, '0')}`;
}

/**
 * Whether `value` has the exact shape `newRunId` produces.
 * @example
 * isRunId('cpu-disk-20250102-030405-i000'); // true
 * isRunId('../etc'); // false
 */
export function isRunId(value: string): boolean {
  return value.length <= MAX_SLUG + RUN_ID_SUFFIX_LENGTH && RUN_ID.test(value);
}

/**
 * Rejects a run id a user typed if it could escape a file path or a key: only lowercase letters,
 * digits and "-", not starting with "-", at most 100 characters. Looser than `isRunId` on purpose,
 * so ids from older or imported runs still resolve.
 * @throws UsageError
 * @example
 * assertRunId('cpu-20250102-030405-i000'); // ok
 * assertRunId('../../etc/passwd'); // throws UsageError
 */
export function assertRunId(value: string): void {
  if (!RUN_ID_ALPHABET.test(value)) {
    throw new UsageError(`invalid run id ${JSON.stringify(value)}`, {
      hint: 'run ids contain only a-z, 0-9 and "-"; list runs with `fleetbench runs`',
    });
  }
}
