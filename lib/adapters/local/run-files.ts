/**
 * What a local run keeps beside the database, under `<dataDir>/runs/<runId>/`: `events.jsonl` (appended by
 * JsonlEventPublisher), `run.json` (its META, written when the run is planned or resumed) and `outputs/`.
 * These files outlive a damaged database, and rebuild-run.ts rebuilds a run from them — except a run removed
 * from the catalog with its files kept (`fleetbench rm` without `--purge`), which is not listed.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunFiles } from '../../app/run-damage.js';
import type { CloudEvent } from '../../core/cloudevents.js';
import type { RunMeta } from '../../core/run.js';
import { eventsPath } from './jsonl-event-publisher.js';

/** A run's own directory, `<dataDir>/runs/<runId>`. */
export function runDir(dataDir: string, runId: string): string {
  return join(dataDir, 'runs', runId);
}

/**
 * The note a run removed from the catalog keeps in its directory (local-run-artifacts.ts): such a run's
 * files are not a run the database lost, so they are not listed here.
 */
export const REMOVED_NOTE = 'removed.json';

function metaPath(dataDir: string, runId: string): string {
  return join(runDir(dataDir, runId), 'run.json');
}

/**
 * Writes the run's META to `run.json`, atomically.
 * @example
 * await saveRunMeta('.fleetbench', meta);
 */
export async function saveRunMeta(dataDir: string, meta: RunMeta): Promise<void> {
  const path = metaPath(dataDir, meta.runId);
  await mkdir(join(dataDir, 'runs', meta.runId), { recursive: true });
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(meta, null, 2)}\n`);
  await rename(temp, path);
}

/**
 * The runs of a local data directory as files.
 * @example
 * const damage = await findRunDamage(deps, localRunFiles('.fleetbench'));
 */
export function localRunFiles(dataDir: string): RunFiles {
  return {
    list: async () => {
      const names = await readdir(join(dataDir, 'runs')).catch(() => [] as string[]);
      const withEvents = await Promise.all(
        names.map(async (name) => {
          const files = await readdir(runDir(dataDir, name)).catch(() => [] as string[]);
          return files.includes('events.jsonl') && !files.includes(REMOVED_NOTE) ? name : undefined;
        }),
      );
      return withEvents.filter((name): name is string => name !== undefined).sort();
    },
    events: async (runId) => {
      const text = await readFile(eventsPath(dataDir, runId), 'utf8').catch(() => '');
      const events: CloudEvent[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          events.push(JSON.parse(line) as CloudEvent);
        } catch {
          // A line cut short by a crash mid-append: the events before it still count.
        }
      }
      return events;
    },
    meta: async (runId) => {
      try {
        return JSON.parse(await readFile(metaPath(dataDir, runId), 'utf8')) as RunMeta;
      } catch {
        return undefined;
      }
    },
  };
}
