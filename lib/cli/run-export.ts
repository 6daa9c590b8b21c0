/**
 * `fleetbench export`: a run as plain files, for archiving next to a release, attaching to a ticket or
 * diffing two runs with ordinary tools. Everything is deterministic — JSON with sorted keys
 * (stableJson), records in a fixed order, events and outputs copied byte for byte — so two exports of
 * the same run are byte-identical, and a diff between two exports shows what differs between runs.
 *
 *   plan.json      the validated plan snapshot the run executed
 *   run.json       the catalog entry (state, counts, hosts, timestamps, stop request)
 *   journal.json   {meta, tasks, states, commands}: META without the plan, tasks by workload/rep/host,
 *                  the state audit trail by time, commands by id
 *   events.jsonl   the run's CloudEvents as recorded
 *   report.json    the report (`fleetbench report --format json`, default outlier threshold)
 *   outputs/       <task key>.stdout and <task key>.stderr for every task that ran
 *
 * The export is written to a temporary directory next to the target and moved into place, so a
 * failed or interrupted export leaves no half-written directory behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { eventsPath } from '../adapters/local/jsonl-event-publisher.js';
import { RunNotFoundError, UsageError } from '../core/errors.js';
import { stderrRefOf } from '../core/output-ref.js';
import type { CatalogRepo, JournalRepo } from '../core/ports.js';
import { buildRunReport } from '../core/report/run-report.js';
import { stableJson } from '../core/report/stable-json.js';
import type { TaskRecord } from '../core/run.js';
import { taskSortKey } from '../core/task-key.js';
import { reportInputOf } from './report/report-input.js';
import { loadRunView } from './run-view.js';

/** The top-level names an export owns; `--force` replaces exactly these in a non-empty directory. */
export const EXPORT_ENTRIES = [
  'plan.json',
  'run.json',
  'journal.json',
  'events.jsonl',
  'report.json',
  'outputs',
] as const;

export type ExportSummary = {
  readonly dir: string;
  readonly files: number;
  readonly tasksWithOutput: number;
};

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
}

async function dirState(dir: string): Promise<'missing' | 'empty' | 'non-empty'> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  if (!info.isDirectory()) {
    throw new UsageError(`cannot export into ${dir}: it is not a directory`, {
      hint: 'name a new or empty directory',
    });
  }
  return (await readdir(dir)).length === 0 ? 'empty' : 'non-empty';
}

const byTaskOrder = (a: TaskRecord, b: TaskRecord) => {
  const ka = taskSortKey(a);
  const kb = taskSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * Writes the export of `runId` into `dir`.
 * @throws UsageError when `dir` is not empty and `force` is not set, or is a file (exit 2)
 * @throws RunNotFoundError for an unknown run (exit 2)
 * @example
 * await exportRun({ journal, catalog }, { runId, dir: '/tmp/run-export', dataDir, force: false });
 * // { dir: '/tmp/run-export', files: 17, tasksWithOutput: 6 }
 */
export async function exportRun(
  repos: { journal: JournalRepo; catalog: CatalogRepo },
  options: { runId: string; dir: string; dataDir: string; force: boolean },
): Promise<ExportSummary> {
  const { runId, dir, dataDir, force } = options;
  const state = await dirState(dir);
  if (state === 'non-empty' && !force) {
    throw new UsageError(`cannot export into ${dir}: the directory is not empty`, {
      hint: 'name a new or empty directory, or add --force to replace a previous export there',
    });
  }
  const [entry, meta, view, summaries] = await Promise.all([
    repos.catalog.get(runId),
    repos.journal.getRun(runId),
    loadRunView(repos, runId),
    repos.journal.listCommands(runId),
  ]);
  if (!entry || !meta) throw new RunNotFoundError(runId);
  // Each command whole (its hosts and their outcomes): the export is the journal, not a summary of it.
  const commands = (
    await Promise.all(summaries.map((c) => repos.journal.getCommand(runId, c.commandId)))
  ).filter((c) => c !== undefined);
  const tasks = await repos.journal.listTasks(runId);
  const { plan, ...metaWithoutPlan } = meta;

  const files = new Map<string, string | Buffer>();
  files.set('plan.json', stableJson(plan));
  files.set('run.json', stableJson(entry));
  files.set(
    'journal.json',
    stableJson({
      meta: metaWithoutPlan,
      tasks: [...tasks].sort(byTaskOrder),
      states: [...view.states].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq)),
      commands: [...commands].sort((a, b) =>
        a.commandId < b.commandId ? -1 : a.commandId > b.commandId ? 1 : 0,
      ),
    }),
  );
  files.set('events.jsonl', await readBytes(eventsPath(dataDir, runId)));
  files.set('report.json', stableJson(buildRunReport(reportInputOf(view))));
  let tasksWithOutput = 0;
  for (const task of tasks) {
    if (!task.outputRef) continue;
    tasksWithOutput++;
    files.set(join('outputs', `${task.key}.stdout`), await readBytes(task.outputRef));
    files.set(join('outputs', `${task.key}.stderr`), await readBytes(stderrRefOf(task.outputRef)));
  }

  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.${basename(dir)}.export-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(join(staging, 'outputs'), { recursive: true });
    for (const [name, content] of files) await writeFile(join(staging, name), content);
    if (state === 'missing') {
      await rename(staging, dir);
    } else {
      for (const name of EXPORT_ENTRIES) {
        await rm(join(dir, name), { recursive: true, force: true });
        await rename(join(staging, name), join(dir, name));
      }
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, files: files.size, tasksWithOutput };
}
