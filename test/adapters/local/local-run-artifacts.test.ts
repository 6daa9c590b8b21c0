import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRunArtifacts } from '../../../lib/adapters/local/local-run-artifacts.js';
import { localRunFiles } from '../../../lib/adapters/local/run-files.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fleetbench-artifacts-'));
});
afterEach(async () => rm(dataDir, { recursive: true, force: true }));

/** A run's files as the local target leaves them: events, META, outputs, and a working directory per host. */
async function runOnDisk(runId: string, hosts: readonly string[]): Promise<void> {
  const dir = join(dataDir, 'runs', runId);
  await mkdir(join(dir, 'outputs', 'a1.repetition.cpu.1'), { recursive: true });
  await writeFile(join(dir, 'events.jsonl'), '{}\n');
  await writeFile(join(dir, 'run.json'), '{}\n');
  await writeFile(join(dir, 'outputs', 'a1.repetition.cpu.1', 'host-1.stdout'), 'out');
  for (const host of hosts) {
    await mkdir(join(dataDir, 'hosts', host, 'work', runId), { recursive: true });
    await writeFile(join(dataDir, 'hosts', host, 'work', runId, 'scratch'), 'x');
  }
}

describe('Class: LocalRunArtifacts', () => {
  it('hides a run noted as removed from the damage check, and shows it again when the note is taken back', async () => {
    // Prepare
    await runOnDisk('kept-1', ['host-1']);
    await runOnDisk('noted-1', ['host-1']);
    const artifacts = new LocalRunArtifacts(dataDir);

    // Act
    await artifacts.markRemoved('noted-1', { at: '2026-01-01T00:00:00.000Z', by: 'cli:alice' });
    const whileNoted = await localRunFiles(dataDir).list();
    await artifacts.unmarkRemoved('noted-1');
    const afterUnmark = await localRunFiles(dataDir).list();

    // Assess
    expect(whileNoted).toEqual(['kept-1']);
    expect(afterUnmark).toEqual(['kept-1', 'noted-1']);
  });

  it('purges the run directory and every host working directory of that run only, counting the files', async () => {
    // Prepare
    await runOnDisk('gone-1', ['host-1', 'host-2']);
    await runOnDisk('gone-10', ['host-1']);
    const artifacts = new LocalRunArtifacts(dataDir);
    await artifacts.markRemoved('gone-1', { at: '2026-01-01T00:00:00.000Z', by: 'cli:alice' });

    // Act
    const files = await artifacts.purge('gone-1');

    // Assess: events, run.json, one output and the note, plus one file per host directory
    expect(files).toBe(6);
    expect(await artifacts.exists('gone-1')).toBe(false);
    expect(existsSync(join(dataDir, 'hosts', 'host-2', 'work', 'gone-1'))).toBe(false);
    expect(await artifacts.exists('gone-10')).toBe(true);
    expect(existsSync(join(dataDir, 'hosts', 'host-1', 'work', 'gone-10', 'scratch'))).toBe(true);
    expect(await artifacts.purge('gone-1')).toBe(0);
  });
});
