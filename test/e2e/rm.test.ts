/**
 * `fleetbench rm`, end to end on the local target: real runs, the real CLI, the real embedded database —
 * and, for the refusal, a run going on in an engine process of its own that serves the data directory's
 * database, so every `rm` here reaches the journal through the shared-database protocol.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RemovedRun } from '../../lib/app/remove-runs.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { until } from '../support/processes.js';

const t = engineFixture();

const QUICK = `
name: quick
hosts: { local: 2 }
repetitions: 1
workloads:
  - name: w
    plugin: shell
    options: { command: "echo '{\\"x\\": 1}'" }
`;

const HOLDING = `
name: holding
hosts: { local: 1 }
repetitions: 1
workloads:
  - name: hold
    plugin: shell
    options: { command: "touch started; sleep 60" }
`;

type RunRow = { runId: string; state: string };

async function quickRun(): Promise<string> {
  const ran = await t.cli.run('run', await t.cli.writePlan('quick.yaml', QUICK));
  expect(ran.code).toBe(0);
  return /Started run (\S+)/.exec(ran.stdout)?.[1] ?? '';
}

const runIds = async () => (await t.cli.runJson<RunRow[]>('runs')).map((r) => r.runId);
const runDir = (runId: string) => join(t.cli.dataDir, 'runs', runId);
const workDirs = (runId: string) =>
  readdirSync(join(t.cli.dataDir, 'hosts')).filter((h) =>
    existsSync(join(t.cli.dataDir, 'hosts', h, 'work', runId)),
  );

describe('rm, end to end', () => {
  it('removes a finished run from the catalog and keeps its files; --purge then deletes them; no damage is reported', async () => {
    // Prepare
    const runId = await quickRun();

    // Act
    const removed = await t.cli.run('rm', runId);
    const listed = await runIds();
    const shown = await t.cli.run('show', runId);
    const doctorAfterRm = await t.cli.run('doctor');
    const purged = await t.cli.runJson<RemovedRun[]>('rm', runId, '--purge');

    // Assess
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe(
      `Removed run ${runId} (FINISHED) from the catalog; its journal, events and outputs are kept (delete them with --purge).\n`,
    );
    expect(listed).not.toContain(runId);
    expect(shown.code).toBe(2);
    expect(doctorAfterRm.stdout).toMatch(/OK\s+journal/);
    expect(doctorAfterRm.stdout).not.toContain(runId);
    expect(purged).toEqual([
      {
        runId,
        state: null,
        purged: true,
        journalItems: expect.any(Number),
        files: expect.any(Number),
      },
    ]);
    expect(purged[0]?.journalItems).toBeGreaterThan(2);
    expect(existsSync(runDir(runId))).toBe(false);
    expect(workDirs(runId)).toEqual([]);
    expect((await t.cli.run('rm', runId, '--purge')).code).toBe(2);
  });

  it('refuses a run another engine is running, removing none of the ids given, and removes the others while that engine serves the database', async () => {
    // Prepare
    const finished = await quickRun();
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, [
      'run',
      await t.cli.writePlan('hold.yaml', HOLDING),
    ]);
    const running = await t.engine.runId;
    await until(
      () =>
        workDirs(running).length === 1 &&
        existsSync(join(t.cli.dataDir, 'hosts', 'host-1', 'work', running, 'started')),
      {
        what: 'the holding run to start its repetition',
        timeoutMs: 20_000,
        intervalMs: 25,
      },
    );

    // Act
    const refused = await t.cli.run('rm', finished, running, '--purge');
    const afterRefusal = await runIds();
    const keptAfterRefusal = existsSync(runDir(finished));
    const purged = await t.cli.run('rm', finished, '--purge');
    const stopped = await t.cli.run('stop', running);
    const exit = await t.engine.exited;
    const removedAfterStop = await t.cli.run('rm', running);

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `error: run ${running} is still RUNNING_WORKLOADS: only a run that has ended can be removed (stop it first with \`fleetbench stop ${running}\`, then remove it)\n`,
    );
    expect(afterRefusal).toEqual(expect.arrayContaining([finished, running]));
    expect(keptAfterRefusal).toBe(true);
    expect(purged.code).toBe(0);
    expect(existsSync(runDir(finished))).toBe(false);
    expect(stopped.code).toBe(0);
    // The engine ran its run to its own end, undisturbed: ABORTED by the stop, exit 1.
    expect(exit.code).toBe(1);
    expect(removedAfterStop.stdout).toContain(`Removed run ${running} (ABORTED)`);
    expect(await runIds()).toEqual([]);
    expect((await t.cli.run('doctor')).stdout).toMatch(/OK\s+journal/);
  });

  it('selects with --older-than only runs that ended longer ago, and refuses ids with it', async () => {
    // Prepare
    const runId = await quickRun();

    // Act
    const none = await t.cli.run('rm', '--older-than', '1d');
    const both = await t.cli.run('rm', runId, '--older-than', '1d');
    // Opening the database takes longer than 10 ms: by then the run ended longer ago than that.
    const old = await t.cli.run('rm', '--older-than', '10ms');

    // Assess
    expect(none.stdout).toBe('No run ended more than 1d ago; nothing removed.\n');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: rm takes run ids or --older-than, not both/);
    expect(old.stdout).toContain(`Removed run ${runId} (FINISHED)`);
  });
});
