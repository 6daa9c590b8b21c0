/**
 * What a local run keeps beside the database, as `rm` removes it: its `runs/<runId>/` directory (events,
 * run.json, outputs) and each host's working directory for it, `hosts/<host>/work/<runId>/`. A run removed
 * from the catalog without `--purge` keeps these files, with a `removed.json` note in its directory, so the
 * damage check (run-files.ts lists only runs without the note) does not take it for a run the database lost.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunArtifacts } from '../../core/ports.js';
import { REMOVED_NOTE, runDir } from './run-files.js';

/**
 * @example
 * const artifacts = new LocalRunArtifacts('.fleetbench');
 * await artifacts.markRemoved(runId, { at: new Date().toISOString(), by: 'cli:alice' });
 * const files = await artifacts.purge(runId);
 */
export class LocalRunArtifacts implements RunArtifacts {
  constructor(private readonly dataDir: string) {}

  async exists(runId: string): Promise<boolean> {
    return (await this.#directories(runId)).length > 0;
  }

  async markRemoved(runId: string, removal: { readonly at: string; readonly by: string }): Promise<void> {
    const dir = runDir(this.dataDir, runId);
    if (!(await isDirectory(dir))) return;
    const path = join(dir, REMOVED_NOTE);
    const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temp, `${JSON.stringify({ runId, removedAt: removal.at, removedBy: removal.by })}\n`);
    await rename(temp, path);
  }

  async unmarkRemoved(runId: string): Promise<void> {
    await rm(join(runDir(this.dataDir, runId), REMOVED_NOTE), { force: true });
  }

  async purge(runId: string): Promise<number> {
    const dirs = await this.#directories(runId);
    let files = 0;
    // Host directories first: the run's own directory holds the removal note, which goes last.
    for (const dir of dirs.reverse()) {
      files += await countFiles(dir);
      await rm(dir, { recursive: true, force: true });
    }
    return files;
  }

  /** The run's directory and its hosts' working directories, those that exist. */
  async #directories(runId: string): Promise<string[]> {
    const hosts = await readdir(join(this.dataDir, 'hosts')).catch(() => [] as string[]);
    const candidates = [
      runDir(this.dataDir, runId),
      ...hosts.sort().map((host) => join(this.dataDir, 'hosts', host, 'work', runId)),
    ];
    const present = await Promise.all(candidates.map(isDirectory));
    return candidates.filter((_, i) => present[i]);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).length;
}
