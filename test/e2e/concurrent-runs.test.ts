/**
 * Several `fleetbench run` processes at once in one data directory: the first to start serves the
 * database, the others connect to it, and whenever the serving run ends another takes the database over.
 * Every run must end with its own result and exit code, and no run may see another's files.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { engineFixture } from '../support/engine-fixture.js';
import { type EngineProcess, startEngineProcess } from '../support/engine-process.js';

const t = engineFixture();

/**
 * A run of `reps` short repetitions on 2 hosts. Global setup leaves a marker named after the run in the
 * working directory; every repetition fails if it sees any other run's marker, and the global teardown
 * deletes every marker it sees, as a careless cleanup would.
 */
const plan = (name: string, reps: number, failing = false) => `
name: ${name}
hosts: { local: 2 }
repetitions: ${reps}
setup: ["touch marker-${name}"]
teardown: ["rm -f marker-*"]
workloads:
  - name: check
    plugin: shell
    options:
      command: |
        for m in marker-*; do [ "$m" = marker-${name} ] || { echo "foreign $m" >&2; exit 3; }; done
        ${failing ? 'exit 5' : 'sleep 0.05'}
        echo '{"ok": 1}'
`;

describe('Concurrent runs in one data directory', () => {
  it('runs 3 plans of different lengths at once, 3 times over: every run completes with its own exit code', async () => {
    const lengths = [1, 4, 8];
    for (let round = 0; round < 3; round++) {
      // Prepare
      const names = lengths.map((reps) => `r${round}-${reps}`);
      const paths = await Promise.all(
        names.map((name, i) =>
          t.cli.writePlan(`${name}.yaml`, plan(name, lengths[i] ?? 1, round === 1 && i === 1)),
        ),
      );

      // Act
      const engines: EngineProcess[] = paths.map((path) =>
        startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', path]),
      );
      const exits = await Promise.all(engines.map((e) => e.exited));

      // Assess
      for (const [i, engine] of engines.entries()) {
        const failing = round === 1 && i === 1;
        const detail = `${names[i]}: ${engine.stdout()}${engine.stderr()}`;
        expect(exits[i], detail).toEqual({ code: failing ? 1 : 0, signal: null });
        const runId = await engine.runId;
        const view = await t.cli.runJson<RunView>('show', runId);
        expect(view.state, detail).toBe('FINISHED');
        const reps = lengths[i] ?? 0;
        expect(view.counts, detail).toMatchObject(
          failing ? { completed: 0, failed: reps * 2 } : { completed: reps * 2, failed: 0 },
        );
        for (const host of ['host-1', 'host-2']) {
          expect(readdirSync(join(t.cli.dataDir, 'hosts', host, 'work', runId)), detail).toEqual([]);
        }
      }
    }
  }, 120_000);

  it('stops a run gracefully after the run that served the database has ended and handed it over', async () => {
    // Prepare: a short run that starts first (and serves the database), and a long one
    const short = startEngineProcess(t.cli.dir, t.cli.dataDir, [
      'run',
      await t.cli.writePlan('short.yaml', plan('short', 1)),
    ]);
    await short.runId;
    t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, [
      'run',
      await t.cli.writePlan(
        'long.yaml',
        'name: long\nhosts: { local: 2 }\nrepetitions: 2\nteardown: ["touch teardown.marker"]\n' +
          'workloads:\n  - { name: wait, plugin: shell, options: { command: "sleep 60" } }\n',
      ),
    ]);
    const longRunId = await t.engine.runId;
    expect(await short.exited).toEqual({ code: 0, signal: null });

    // Act
    const stop = await t.cli.run('stop', longRunId);
    const exit = await t.engine.exited;

    // Assess
    expect(stop.code, stop.stderr).toBe(0);
    expect(exit, t.engine.stderr()).toEqual({ code: 1, signal: null });
    const view = await t.cli.runJson<RunView>('show', longRunId);
    expect(view.state).toBe('ABORTED');
    expect(view.counts).toMatchObject({ cancelled: 2, pending: 2, completed: 0 });
    for (const host of ['host-1', 'host-2']) {
      expect(readdirSync(join(t.cli.dataDir, 'hosts', host, 'work', longRunId))).toEqual(['teardown.marker']);
    }
  }, 60_000);
});
