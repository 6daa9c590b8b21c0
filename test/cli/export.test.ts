import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_ENTRIES } from '../../lib/cli/run-export.js';
import type { TaskRecord } from '../../lib/core/run.js';
import { CliHarness } from '../support/cli.js';
import { runIdOf, syntheticPlan } from './synthetic-plan.js';

/** Every file under `dir` as relative path → bytes. */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

describe('Command: export', () => {
  let cli: CliHarness;
  let runId: string;

  beforeAll(async () => {
    cli = await CliHarness.create();
    const r = await cli.run('run', await cli.writePlan('plan.yaml', syntheticPlan({ repetitions: 2 })));
    expect(r.code).toBe(0);
    runId = runIdOf(r.stdout);
  });

  afterAll(async () => cli.dispose());

  it('writes the plan, the catalog entry, the journal, the events, the report and every task’s outputs', async () => {
    const r = await cli.run('export', runId, 'first');
    const files = tree(join(cli.dir, 'first'));
    const keys = ['host-1', 'host-2', 'host-3'].flatMap((h) => [1, 2].map((rep) => `${h}::api::${rep}`));

    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Exported ${runId} to ${join(cli.dir, 'first')}: 17 files, outputs of 6 tasks\n`);
    expect([...files.keys()].sort()).toEqual(
      [
        'events.jsonl',
        'journal.json',
        'plan.json',
        'report.json',
        'run.json',
        ...keys.flatMap((k) => [`outputs/${k}.stdout`, `outputs/${k}.stderr`]),
      ].sort(),
    );
    expect(files.get('outputs/host-2::api::1.stdout')?.toString()).toMatch(
      /^warming up\n\{"latency_ms": \{"value": 105,/,
    );
    expect(JSON.parse(files.get('plan.json')?.toString() ?? '')).toMatchObject({
      name: 'synthetic',
      repetitions: 2,
    });
    expect(JSON.parse(files.get('run.json')?.toString() ?? '')).toMatchObject({ runId, state: 'FINISHED' });
    expect(files.get('events.jsonl')?.toString()).toContain('"type":"dev.fleetbench.run.finished"');
  });

  it('keeps the journal in a fixed order: tasks by workload, repetition and host; states by time', async () => {
    const journal = JSON.parse(readFileSync(join(cli.dir, 'first', 'journal.json'), 'utf8')) as {
      meta: Record<string, unknown>;
      tasks: TaskRecord[];
      states: { to: string }[];
      commands: { commandId: string }[];
    };

    expect(Object.keys(journal)).toEqual(['commands', 'meta', 'states', 'tasks']);
    expect(journal.meta.runId).toBe(runId);
    expect(journal.meta).not.toHaveProperty('plan');
    expect(journal.tasks.map((t) => t.key)).toEqual([
      'host-1::api::1',
      'host-2::api::1',
      'host-3::api::1',
      'host-1::api::2',
      'host-2::api::2',
      'host-3::api::2',
    ]);
    expect(journal.states.map((s) => s.to).at(-1)).toBe('FINISHED');
    const ids = journal.commands.map((c) => c.commandId);
    expect(ids).toEqual([...ids].sort());
  });

  it('writes the same report as `report --format json`', async () => {
    const report = await cli.run('report', runId, '--format', 'json');

    expect(readFileSync(join(cli.dir, 'first', 'report.json'), 'utf8')).toBe(report.stdout);
  });

  it('is byte-identical when the same run is exported twice', async () => {
    await cli.run('export', runId, 'second');

    const first = tree(join(cli.dir, 'first'));
    const second = tree(join(cli.dir, 'second'));
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [path, bytes] of first) expect(second.get(path)?.equals(bytes), path).toBe(true);
  });

  it('refuses a non-empty directory without --force, touching nothing', async () => {
    await mkdir(join(cli.dir, 'busy'));
    writeFileSync(join(cli.dir, 'busy', 'notes.txt'), 'mine');

    const r = await cli.run('export', runId, 'busy');

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: cannot export into ${join(cli.dir, 'busy')}: the directory is not empty (name a new or empty directory, or add --force to replace a previous export there)\n`,
    );
    expect(readdirSync(join(cli.dir, 'busy'))).toEqual(['notes.txt']);
  });

  it('with --force replaces only the export’s own files', async () => {
    writeFileSync(join(cli.dir, 'busy', 'run.json'), 'stale');
    await mkdir(join(cli.dir, 'busy', 'outputs'));
    writeFileSync(join(cli.dir, 'busy', 'outputs', 'old-host::old::1.stdout'), 'stale');

    const r = await cli.run('export', runId, 'busy', '--force');

    expect(r.code).toBe(0);
    expect(readdirSync(join(cli.dir, 'busy')).sort()).toEqual([...EXPORT_ENTRIES, 'notes.txt'].sort());
    expect(existsSync(join(cli.dir, 'busy', 'outputs', 'old-host::old::1.stdout'))).toBe(false);
    expect(readFileSync(join(cli.dir, 'busy', 'run.json'))).toEqual(
      readFileSync(join(cli.dir, 'first', 'run.json')),
    );
    expect(readdirSync(cli.dir).filter((name) => name.includes('.export-'))).toEqual([]);
  });

  it('exports into an existing empty directory', async () => {
    await mkdir(join(cli.dir, 'empty'));

    const r = await cli.run('export', runId, 'empty');

    expect(r.code).toBe(0);
    expect(tree(join(cli.dir, 'empty')).size).toBe(17);
  });

  it('rejects an unknown run with exit 2 and creates nothing', async () => {
    const r = await cli.run('export', 'nope-20260101-000000-abcd', 'never');

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run nope-20260101-000000-abcd not found');
    expect(existsSync(join(cli.dir, 'never'))).toBe(false);
  });
});
