import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  KEEP_FROM_BYTES,
  KEPT_OUTPUTS_DIR,
  keepingOutput,
  keptOutputDir,
  mayBeCut,
  printKeptOutput,
} from '../../../lib/adapters/aws/ssm-kept-output.js';

/** Runs a script with POSIX sh (dash here, as on Ubuntu hosts), with the hosts' directory moved to a temp one. */
function sh(script: string, dir: string) {
  return spawnSync('/bin/sh', ['-c', script.replaceAll(KEPT_OUTPUTS_DIR, dir)], { encoding: 'utf8' });
}

const RUN = 'cpu-20250102-030405-i000';
let dirs: string[] = [];

function hostDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kept-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

const kept = (dir: string, commandId: string) => keptOutputDir(RUN, commandId).replace(KEPT_OUTPUTS_DIR, dir);

describe('Function: keepingOutput', () => {
  it('passes a short output and the exit code through, and keeps no copy', () => {
    const dir = hostDir();

    const run = sh(keepingOutput(RUN, 'a1.repetition.cpu.1', 'echo out; echo err >&2; exit 3'), dir);

    expect([run.status, run.stdout, run.stderr]).toEqual([3, 'out\n', 'err\n']);
    expect(existsSync(kept(dir, 'a1.repetition.cpu.1'))).toBe(false);
  });

  it('keeps a copy of an output too long for SSM, and the copy command prints it whole', () => {
    const dir = hostDir();
    const script = `i=0; while [ $i -lt 2000 ]; do echo "line $i of the benchmark log"; i=$((i+1)); done; echo warn >&2`;

    const run = sh(keepingOutput(RUN, 'a1.repetition.cpu.2', script), dir);
    const copy = sh(printKeptOutput(RUN, 'a1.repetition.cpu.2'), dir);

    expect(run.status).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(KEEP_FROM_BYTES.stdout);
    expect(readFileSync(join(kept(dir, 'a1.repetition.cpu.2'), 'stdout'), 'utf8')).toBe(run.stdout);
    expect([copy.status, copy.stdout, copy.stderr]).toEqual([0, run.stdout, 'warn\n']);
  });

  it('ends with the exit code of a setup script that set -e stopped', () => {
    const dir = hostDir();

    const run = sh(keepingOutput(RUN, 'a1.setup.cpu', 'set -e\nfalse\necho never'), dir);

    expect([run.status, run.stdout]).toEqual([1, '']);
  });

  it('runs the step without a copy where the directory cannot be made', () => {
    const dir = hostDir();
    const blocked = join(dir, 'file');
    spawnSync('/bin/sh', ['-c', `: > '${blocked}'`]);

    const run = spawnSync(
      '/bin/sh',
      ['-c', keepingOutput(RUN, 'a1.setup.cpu', 'echo still runs').replaceAll(KEPT_OUTPUTS_DIR, blocked)],
      {
        encoding: 'utf8',
      },
    );

    expect([run.status, run.stdout]).toEqual([0, 'still runs\n']);
  });

  it('removes copies older than a day before the step', () => {
    const dir = hostDir();
    const old = join(dir, 'old-run.a1.repetition.cpu.1.0000');
    spawnSync('/bin/sh', ['-c', `mkdir -p '${old}' && touch -d '2 days ago' '${old}'`]);

    sh(keepingOutput(RUN, 'a1.repetition.cpu.1', 'true'), dir);

    expect(existsSync(old)).toBe(false);
  });
});

describe('Function: printKeptOutput', () => {
  it('fails when the host kept no copy', () => {
    const copy = sh(printKeptOutput(RUN, 'a1.repetition.cpu.9'), hostDir());

    expect(copy.status).toBe(3);
    expect(copy.stderr).toContain('no kept output');
  });
});

describe('Function: mayBeCut', () => {
  it.each([
    [{ stdout: 'x'.repeat(KEEP_FROM_BYTES.stdout - 1), stderr: '' }, false],
    [{ stdout: 'x'.repeat(KEEP_FROM_BYTES.stdout), stderr: '' }, true],
    [{ stdout: '', stderr: 'é'.repeat(KEEP_FROM_BYTES.stderr / 2) }, true],
  ])('counts the bytes of what SSM returned against the host’s threshold (%#)', (streams, cut) => {
    expect(mayBeCut(streams)).toBe(cut);
  });
});
