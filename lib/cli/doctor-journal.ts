/**
 * `fleetbench doctor` on the local journal: is the database intact, and does it know every run the data
 * directory holds? `--repair` moves a damaged database aside (`db.damaged-<time>`, kept for inspection) and
 * rebuilds every run from what it left on disk (rebuild-run.ts); runs without a `run.json` cannot be
 * rebuilt and are named.
 */
import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoCatalogRepo } from '../adapters/dynamodb/catalog-repo.js';
import { DynamoJournalRepo } from '../adapters/dynamodb/journal-repo.js';
import { findLastingDamage } from '../adapters/local/database-damage.js';
import { LOCAL_TABLES, type LocalDatabase, openLocalDatabase } from '../adapters/local/embedded-dynalite.js';
import { localRunFiles } from '../adapters/local/run-files.js';
import { rebuildRun } from '../app/rebuild-run.js';
import { findRunDamage, type RunDamage } from '../app/run-damage.js';
import { DatabaseDamagedError, EngineError } from '../core/errors.js';
import type { DoctorCheck } from './doctor-check.js';

const REPAIR = 'fleetbench doctor --repair';

type Finding = { readonly database?: string; readonly runs: readonly RunDamage[] };

/**
 * The journal's checks: one line for the database, one per run it lost.
 * @example
 * const checks = await checkJournal('.fleetbench');
 */
export async function checkJournal(dataDir: string): Promise<DoctorCheck[]> {
  if (!(await isDirectory(dataDir))) return [];
  const finding = await inspect(dataDir);
  const checks: DoctorCheck[] = [
    finding.database === undefined
      ? { check: 'journal', status: 'OK', detail: `${join(dataDir, 'db')} is intact` }
      : { check: 'journal', status: 'FAILED', detail: finding.database, fix: REPAIR },
  ];
  for (const run of finding.runs) checks.push(runCheck(run));
  return checks;
}

/**
 * Repairs the journal when it is damaged: the database is moved aside and every run with its files is
 * rebuilt. Returns what was done, as checks (OK: rebuilt; FAILED: lost).
 * @example
 * const checks = await repairJournal('.fleetbench', new Date());
 */
export async function repairJournal(dataDir: string, now: Date): Promise<DoctorCheck[]> {
  if (!(await isDirectory(dataDir))) return [];
  const finding = await inspect(dataDir, { exclusive: true });
  if (finding.database === undefined && finding.runs.length === 0) return checkJournal(dataDir);
  const dbPath = join(dataDir, 'db');
  const aside = `${dbPath}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  await rename(dbPath, aside);
  const checks: DoctorCheck[] = [
    {
      check: 'journal',
      status: 'OK',
      detail: `damaged database moved to ${aside}; rebuilt from the runs' files`,
    },
  ];
  await withRepos(dataDir, { exclusive: true }, async (repos) => {
    const files = localRunFiles(dataDir);
    for (const runId of await files.list()) {
      if ((await files.meta(runId)) === undefined) {
        checks.push({
          check: `run ${runId}`,
          status: 'FAILED',
          detail: `cannot be rebuilt: it has no run.json (its data may still be in ${aside})`,
        });
        continue;
      }
      const entry = await rebuildRun(repos, files, runId);
      checks.push({
        check: `run ${runId}`,
        status: 'OK',
        detail: `rebuilt: ${entry.state}, ${entry.counts.completed} completed, ${entry.counts.failed} failed`,
      });
    }
  });
  return checks;
}

function runCheck(run: RunDamage): DoctorCheck {
  return run.rebuildable
    ? {
        check: `run ${run.runId}`,
        status: 'FAILED',
        detail: `${run.problem}; its files allow a rebuild`,
        fix: REPAIR,
      }
    : {
        check: `run ${run.runId}`,
        status: 'FAILED',
        detail: `${run.problem}; it has no run.json to rebuild it from`,
      };
}

/**
 * What is damaged. `exclusive` (before a repair) also makes sure no other process uses the database: a
 * process serving it would not see it moved aside.
 */
async function inspect(dataDir: string, options: { exclusive?: boolean } = {}): Promise<Finding> {
  const damage = await findLastingDamage(join(dataDir, 'db'));
  if (damage !== undefined && !options.exclusive) return { database: damage, runs: [] };
  try {
    const runs = await withRepos(dataDir, options, (repos) => findRunDamage(repos, localRunFiles(dataDir)));
    return damage === undefined ? { runs } : { database: damage, runs };
  } catch (error) {
    if (error instanceof DatabaseDamagedError) return { database: error.message, runs: [] };
    throw error;
  }
}

/** The journal and catalog of `dataDir`; `exclusive`: served by this process alone (a repair must not race a run). */
async function withRepos<T>(
  dataDir: string,
  options: { exclusive?: boolean },
  fn: (repos: { journal: DynamoJournalRepo; catalog: DynamoCatalogRepo }) => Promise<T>,
): Promise<T> {
  const db: LocalDatabase = await openLocalDatabase(dataDir);
  try {
    if (options.exclusive && !db.owner) {
      throw new EngineError(`another fleetbench process is using ${dataDir}`, {
        hint: 'run doctor again once the other runs have ended',
      });
    }
    return await fn({
      journal: new DynamoJournalRepo({ client: db.doc, tableName: LOCAL_TABLES.journal }),
      catalog: new DynamoCatalogRepo({ client: db.doc, tableName: LOCAL_TABLES.catalog }),
    });
  } finally {
    await db.close();
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}
