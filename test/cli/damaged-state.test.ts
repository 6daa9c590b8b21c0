/**
 * A damaged data directory through the real CLI: flipped bytes or a cut-short log in the journal's files,
 * a garbage database, a database that lost runs, FLEETBENCH_HOME pointing at a file. Every command says
 * what is damaged and what to do (exit 2) instead of printing "No runs yet" or rewriting a run FAILED, and
 * `fleetbench doctor --repair` rebuilds the runs from their events.
 */
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { CliHarness, runCli } from '../support/cli.js';

const PLAN = `
name: damage
hosts: { local: 2 }
workloads:
  - name: echo
    plugin: shell
    options: { command: "echo '{\\"speed\\": 42}'" }
`;

type DoctorReport = {
  ok: boolean;
  checks: { check: string; status: string; detail: string; fix?: string }[];
};

let cli: CliHarness;
let runId: string;
const db = () => join(cli.dataDir, 'db');

async function logFile(): Promise<string> {
  const log = (await readdir(db())).find((n) => n.endsWith('.log'));
  if (!log) throw new Error('no LevelDB log');
  return join(db(), log);
}

/** Byte offsets where each record of a LevelDB log starts (every fleetbench write is one record). */
function recordStarts(log: Buffer): number[] {
  const starts: number[] = [];
  let offset = 0;
  while (offset + 7 <= log.length) {
    const blockLeft = 32 * 1024 - (offset % (32 * 1024));
    if (blockLeft < 7) {
      offset += blockLeft;
      continue;
    }
    starts.push(offset);
    offset += 7 + log.readUInt16LE(offset + 4);
  }
  return starts;
}

async function doctor(...args: string[]): Promise<DoctorReport & { code: number }> {
  const result = await cli.run('doctor', '--json', ...args);
  return { ...(JSON.parse(result.stdout) as DoctorReport), code: result.code };
}

beforeEach(async () => {
  cli = await CliHarness.create();
  const result = await cli.run('run', await cli.writePlan('plan.yaml', PLAN));
  expect(result.code, result.stderr).toBe(0);
  runId = /Started run (\S+)/.exec(result.stdout)?.[1] ?? '';
});

afterEach(async () => {
  await cli.dispose();
});

describe('Damaged journal files', () => {
  it('flipped bytes in the log: `runs` exits 2 naming the damaged file and the fix, not "No runs yet"', async () => {
    // Prepare
    const path = await logFile();
    const bytes = await readFile(path);
    for (const at of [0.3, 0.6]) {
      const i = Math.floor(bytes.length * at);
      bytes.writeUInt8((bytes[i] ?? 0) ^ 0x5a, i);
    }
    await writeFile(path, bytes);

    // Act
    const result = await cli.run('runs');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).not.toContain('No runs yet');
    expect(result.stderr).toMatch(/the local database .* is damaged: \d+\.log: checksum mismatch/);
    expect(result.stderr).toContain('fleetbench doctor --repair');
  });

  it('flipped bytes, then `doctor --repair`: the damaged database is moved aside and the run is back', async () => {
    const path = await logFile();
    const bytes = await readFile(path);
    const i = Math.floor(bytes.length / 2);
    bytes.writeUInt8((bytes[i] ?? 0) ^ 0x5a, i);
    await writeFile(path, bytes);

    const found = await doctor();
    const repaired = await doctor('--repair');
    const after = await cli.run('show', runId, '--json');

    expect(found.checks).toContainEqual(
      expect.objectContaining({
        check: 'journal',
        status: 'FAILED',
        detail: expect.stringMatching(/checksum mismatch/),
      }),
    );
    expect(repaired.checks).toContainEqual(
      expect.objectContaining({
        check: 'journal',
        status: 'OK',
        detail: expect.stringMatching(/moved to .*db\.damaged-/),
      }),
    );
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ state: 'FINISHED', counts: { completed: 2 } });
    expect((await readdir(cli.dataDir)).some((n) => n.startsWith('db.damaged-'))).toBe(true);
  });

  it('a log cut in the middle of a record: `show` exits 2 instead of a silent "FAILED 0/2"', async () => {
    const path = await logFile();
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 5));

    const result = await cli.run('show', runId);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/is damaged: \d+\.log: cut short/);
  });

  it("a log cut at a record boundary, losing the run's end: exits 2, the run is not rewritten FAILED", async () => {
    // Prepare: drop the last records (the catalog's FINISHED among them), as a lost tail would
    const path = await logFile();
    const bytes = await readFile(path);
    const starts = recordStarts(bytes);
    await writeFile(path, bytes.subarray(0, starts[starts.length - 6]));

    // Act
    const result = await cli.run('runs');
    const doctorReport = await doctor();

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`run ${runId} ended FINISHED (its events) but the catalog says`);
    expect(doctorReport.checks).toContainEqual(
      expect.objectContaining({ check: `run ${runId}`, status: 'FAILED', fix: 'fleetbench doctor --repair' }),
    );
  });

  it('a garbage database: exits 2 with the fix', async () => {
    await rm(db(), { recursive: true });
    await writeFile(db(), 'not a database at all');

    const result = await cli.run('runs');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /error: the local database .*db is damaged: .*db is a file, not a LevelDB directory/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('Runs the database does not know', () => {
  it('`doctor` finds a run on disk the catalog lost; `doctor --repair` rebuilds it with its results', async () => {
    // Prepare: the database is lost (a fresh one replaces it)
    const before = await cli.runJson<RunView>('show', runId);
    await rename(db(), join(cli.dir, 'lost-db'));

    // Act
    const runs = await cli.run('runs');
    const found = await doctor();
    const repaired = await doctor('--repair');
    const after = await cli.runJson<RunView>('show', runId);
    const again = await doctor();

    // Assess
    expect(runs.code).toBe(2);
    expect(runs.stderr).toContain(`run ${runId} is on disk but not in the catalog`);
    expect(found.checks).toContainEqual(
      expect.objectContaining({ check: `run ${runId}`, status: 'FAILED', fix: 'fleetbench doctor --repair' }),
    );
    expect(repaired.checks).toContainEqual(
      expect.objectContaining({
        check: `run ${runId}`,
        status: 'OK',
        detail: expect.stringContaining('rebuilt: FINISHED'),
      }),
    );
    expect(after.state).toBe('FINISHED');
    expect(after.counts).toEqual(before.counts);
    expect(after.tasks.map((t) => [t.key, t.status, t.metrics])).toEqual(
      before.tasks.map((t) => [t.key, t.status, t.metrics]),
    );
    expect(again.checks.filter((c) => c.check === 'journal' || c.check.startsWith('run '))).toEqual([
      expect.objectContaining({ check: 'journal', status: 'OK' }),
    ]);
  });
});

describe('FLEETBENCH_HOME', () => {
  it('pointing at a file: a clear exit-2 error', async () => {
    const file = join(cli.dir, 'home-file');
    await writeFile(file, '');

    const result = await runCli(['runs'], { env: { FLEETBENCH_HOME: file }, cwd: cli.dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: the data directory ${file} is not a directory (point FLEETBENCH_HOME or --data-dir at a directory; fleetbench creates it when missing)\n`,
    );
  });
});
