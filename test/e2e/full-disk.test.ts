/**
 * A real full disk: the data directory on a 3 MB tmpfs that a workload fills. The embedded database's
 * writes fail with ENOSPC inside LevelDB; the run must end with one line and exit 1, its teardowns having
 * run, and, once space is freed, the database must open clean and `resume` finish the run. Mounting needs
 * root (as CI runs); elsewhere the test says why it is skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { CliHarness } from '../support/cli.js';
import { startEngineProcess } from '../support/engine-process.js';

let cli: CliHarness;
let mountPoint: string | undefined;

beforeEach(async () => {
  cli = await CliHarness.create();
});
afterEach(async () => {
  if (mountPoint !== undefined) {
    execFileSync('umount', ['-l', mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
    mountPoint = undefined;
  }
  await cli.dispose();
});

/** Mounts a 3 MB tmpfs; undefined when this machine does not let the test mount (not root). */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbench-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dir], { stdio: 'pipe' });
    mountPoint = dir;
    return dir;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    if (process.getuid?.() === 0) throw error;
    return undefined;
  }
}

describe('A full disk under the data directory', () => {
  it('ends the run with one line, runs the teardowns, and lets resume finish it once space is freed', async (ctx) => {
    // Prepare: the first repetition fills the disk once (a marker outside it says so)
    const disk = smallDisk();
    if (disk === undefined) {
      ctx.skip('mounting a tmpfs needs root');
      return;
    }
    const dataDir = join(disk, 'fb');
    const filled = join(cli.dir, 'filled');
    const plan = await cli.writePlan(
      'full.yaml',
      `
name: full
hosts: { local: 2 }
repetitions: 3
timeouts: { task: 20s, stop: 5s }
teardown: ["rm -f big"]
workloads:
  - name: fill
    plugin: shell
    options:
      command: |
        [ -e ${filled} ] || { touch ${filled}; head -c 4M /dev/zero > big; }
        echo '{"ok": 1}'
`,
    );

    // Act
    const engine = startEngineProcess(cli.dir, dataDir, ['run', plan]);
    const exit = await engine.exited;

    // Assess: one line, exit 1, the global teardown freed the disk
    const runId = await engine.runId;
    const lines = engine
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('error:') || /^\s+at /.test(l));
    expect(exit, engine.stderr()).toEqual({ code: 1, signal: null });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error: the journal in .* cannot be written \(.*No space left on device.*\); teardowns ran/,
    );
    expect(lines[0]).toContain(`fleetbench resume ${runId}`);
    for (const host of ['host-1', 'host-2']) {
      expect(existsSync(join(dataDir, 'hosts', host, 'work', runId, 'big'))).toBe(false);
    }

    // Act: the database opens clean, and the run resumes to the end
    const status = await startEngineProcess(cli.dir, dataDir, ['status', runId, '--json']).exited;
    const resumed = startEngineProcess(cli.dir, dataDir, ['resume', runId]);
    const resumedExit = await resumed.exited;
    const shown = startEngineProcess(cli.dir, dataDir, ['show', runId, '--json']);
    await shown.exited;

    // Assess
    expect(status.code).toBe(1);
    expect(resumedExit, resumed.stderr()).toEqual({ code: 0, signal: null });
    const view = JSON.parse(shown.stdout()) as RunView;
    expect(view.state).toBe('FINISHED');
    expect(view.counts).toMatchObject({ completed: 6, failed: 0, pending: 0, running: 0 });
    expect(readdirSync(join(dataDir, 'db')).some((n) => n.startsWith('db.damaged'))).toBe(false);
  }, 120_000);
});
