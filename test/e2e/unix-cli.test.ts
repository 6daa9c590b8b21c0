/**
 * The CLI behaves like a Unix tool, through real processes: a closed pipe ends a command quietly by
 * SIGPIPE (141), colour is decided per stream (checked in a real pseudo-terminal), progress beats on a
 * pipe and fits the terminal with an ETA, a Ctrl+C-stopped run ends by SIGINT (130) with and without npx,
 * and `validate` reports every problem of a plan at once.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { CliHarness } from '../support/cli.js';
import { engineFixture } from '../support/engine-fixture.js';
import { BIN, type EngineProcessOptions, startEngineProcess } from '../support/engine-process.js';
import { hostWork } from '../support/host-work.js';
import { until } from '../support/processes.js';
import { inTerminal } from '../support/terminal.js';

const ESC = String.fromCharCode(27);
/** A colour or style code (SGR), as opposed to the cursor control that redraws the progress line. */
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g');

const SMALL = `name: small
hosts: { local: 2 }
repetitions: 2
workloads:
  - name: work
    plugin: shell
    options: { command: "echo '{\\"x\\": 1}'" }
`;

/** Enough tasks that \`show\` and \`events\` print more than a pipe holds (64 KiB): head closes it mid-way. */
const BIG = `name: big
hosts: { local: 20 }
repetitions: 30
workloads:
  - name: work
    plugin: shell
    options:
      command: >-
        echo '{"throughput_in_mebibytes_per_second": 1.5, "latency_p99_in_microseconds": 2.25,
        "latency_p50_in_microseconds": 1.125, "operations_completed_per_second": 4096}'
`;

type Exit = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs `fleetbench <args>` as a process to its end. */
async function cli(
  harness: CliHarness,
  args: readonly string[],
  options: EngineProcessOptions = {},
): Promise<Exit> {
  const process = startEngineProcess(harness.dir, harness.dataDir, args, options);
  const { code, signal } = await process.exited;
  return { code, signal, stdout: process.stdout(), stderr: process.stderr() };
}

/** Runs a bash command line (with pipefail) and returns what it printed and its status. */
async function bash(
  commandLine: string,
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', `set -o pipefail; ${commandLine}; echo "status=$?"`], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await once(child, 'exit');
  const status = /status=(\d+)\n$/.exec(stdout)?.[1];
  return {
    status: status === undefined ? null : Number(status),
    stdout: stdout.replace(/status=\d+\n$/, ''),
    stderr,
  };
}

async function startedRun(harness: CliHarness, name: string, plan: string): Promise<string> {
  const path = await harness.writePlan(name, plan);
  const view = await harness.runJson<RunView>('run', path);
  expect(view.state).toBe('FINISHED');
  return view.runId;
}

describe('Read commands', () => {
  let shared: CliHarness;
  let small: string;
  let big: string;
  let planPath: string;
  const fleetbench = () => `node ${BIN} --data-dir ${shared.dataDir}`;

  beforeAll(async () => {
    shared = await CliHarness.create();
    planPath = await shared.writePlan('small.yaml', SMALL);
    small = await startedRun(shared, 'small.yaml', SMALL);
    big = await startedRun(shared, 'big.yaml', BIG);
  }, 120_000);
  afterAll(async () => shared.dispose());

  describe('A closed pipe', () => {
    it('ends `fleetbench show <id> | head -3` quietly with the status of SIGPIPE, 141', async () => {
      const r = await bash(`${fleetbench()} show ${big} | head -3`, shared.dir);

      expect(r.status).toBe(141);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')).toHaveLength(4);
      expect(r.stdout).toMatch(new RegExp(`^Run ${big} \\(big\\) FINISHED`));
    });

    it('ends `fleetbench events <id> --json | head -2` quietly with 141', async () => {
      const r = await bash(`${fleetbench()} events ${big} --json | head -2`, shared.dir);

      expect(r.status).toBe(141);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { specversion: string }).specversion)).toEqual([
        '1.0',
        '1.0',
      ]);
    });

    it.each(
      [
        ['show', '<small>'],
        ['show', '<small>', '--json'],
        ['status', '<small>'],
        ['runs'],
        ['runs', '--json'],
        ['events', '<small>'],
        ['report', '<small>'],
        ['compare', '<small>', '<small>'],
        ['validate', '<plan>'],
        ['doctor', '--plan', '<plan>'],
        ['--help'],
      ].map((args) => [args.join(' '), args] as const),
    )('ends `fleetbench %s` by SIGPIPE, without a word, when stdout has no reader', async (_line, args) => {
      const argv = args.map((a) => a.replace('<small>', small).replace('<plan>', planPath));

      const r = await cli(shared, argv, { stdoutClosed: true });

      expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({
        code: null,
        signal: 'SIGPIPE',
        stderr: '',
      });
    });
  });

  describe('Colour, decided per stream', () => {
    it('colours a terminal, and writes no escape code to a file stdout is redirected to, stderr being a terminal', async () => {
      const out = join(shared.dir, 'show.txt');

      const onTerminal = await inTerminal(`${fleetbench()} show ${small}`, { cwd: shared.dir });
      const redirected = await inTerminal(
        `${fleetbench()} show ${small} > ${out}; ${fleetbench()} show nosuch-20260101-000000-aaaa`,
        {
          cwd: shared.dir,
        },
      );

      expect(onTerminal.screen).toContain(`${ESC}[32mFINISHED${ESC}[39m`);
      const file = readFileSync(out, 'utf8');
      expect(file).toContain(`Run ${small} (small) FINISHED`);
      expect(file).not.toContain(ESC);
      // stderr, still the terminal, keeps its colour.
      expect(redirected.screen).toContain(`${ESC}[31merror:${ESC}[39m`);
    });

    it.each([
      ['NO_COLOR=1', { NO_COLOR: '1' }],
      ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
      ['TERM=dumb', { TERM: 'dumb' }],
    ])('writes no colour to a terminal with %s', async (_case, env) => {
      const { screen } = await inTerminal(`${fleetbench()} show ${small}`, { cwd: shared.dir, env });

      expect(screen).toContain(`Run ${small} (small) FINISHED`);
      expect(screen).not.toMatch(SGR);
    });

    it('colours a pipe with FORCE_COLOR=1', async () => {
      const r = await cli(shared, ['show', small], { env: { FORCE_COLOR: '1' } });

      expect(r.stdout).toContain(`${ESC}[32mFINISHED${ESC}[39m`);
    });
  });
});

describe('The CLI process', () => {
  const t = engineFixture();

  describe('A run whose stdout has no reader', () => {
    it('goes on to its end, then ends by SIGPIPE', async () => {
      const plan = await t.cli.writePlan('plan.yaml', SMALL);

      const r = await cli(t.cli, ['run', plan], { stdoutClosed: true });

      expect(r.signal).toBe('SIGPIPE');
      const [run] = await t.cli.runJson<{ runId: string; state: string }[]>('runs');
      expect(run?.state).toBe('FINISHED');
      expect(r.stderr).toMatch(/work rep 2 — \d+\/4 tasks/);
    });
  });

  describe('Progress', () => {
    it('without a terminal, prints a line with done/total, the step and the time at every interval of a long step', async () => {
      const plan = await t.cli.writePlan(
        'plan.yaml',
        'name: slow\nhosts: { local: 1 }\nworkloads:\n  - name: slow\n    plugin: shell\n    options: { command: "sleep 2; echo {}" }\n',
      );

      const r = await cli(t.cli, ['run', plan], { env: { FLEETBENCH_PROGRESS_INTERVAL: '400ms' } });

      expect(r.code).toBe(0);
      const beats = r.stderr
        .split('\n')
        .filter((l) => /^\[\S+\] slow rep 1 — 0\/1 tasks \(this step for \S+\)$/.test(l));
      expect(beats.length).toBeGreaterThanOrEqual(3);
    });

    it('refuses an interval that is not a duration before anything runs (exit 2)', async () => {
      const plan = await t.cli.writePlan('plan.yaml', SMALL);

      const r = await cli(t.cli, ['run', plan], { env: { FLEETBENCH_PROGRESS_INTERVAL: 'often' } });

      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: FLEETBENCH_PROGRESS_INTERVAL: invalid duration "often"/);
      expect(await t.cli.runJson<unknown[]>('runs')).toEqual([]);
    });

    it('on a terminal, draws a bar with an ETA that never gets wider than the terminal', async () => {
      const plan = await t.cli.writePlan(
        'plan.yaml',
        'name: bar\nhosts: { local: 2 }\nrepetitions: 6\nworkloads:\n  - name: a-rather-long-workload-name\n    plugin: shell\n    options: { command: "sleep 0.4; echo {}" }\n',
      );

      const { status, screen } = await inTerminal(
        `node ${BIN} --data-dir ${t.cli.dataDir} run ${plan} > out.txt`,
        {
          cwd: t.cli.dir,
          columns: 50,
        },
      );

      expect(status).toBe(0);
      const drawn = screen
        .split(/\r|\n/)
        .map((l) => l.replace(ANSI, ''))
        .filter((l) => l.includes('/12'));
      expect(drawn.length).toBeGreaterThan(3);
      for (const line of drawn) expect(line.length).toBeLessThan(50);
      expect(drawn.some((l) => /█+░* \d+\/12 .* ETA \S+$/.test(l))).toBe(true);
      expect(screen).toMatch(SGR);
      expect(readFileSync(join(t.cli.dir, 'out.txt'), 'utf8')).not.toContain(ESC);
    });
  });

  describe('Ctrl+C', () => {
    const PLAN = `
name: ctrl-c
hosts: { local: 1 }
teardown: ["echo done > teardown.marker"]
workloads:
  - name: long
    plugin: shell
    options: { command: "echo $$ > work.pid; sleep 60" }
`;
    const started = () => existsSync(join(hostWork(t.cli.dataDir, 'host-1'), 'work.pid'));

    it('twice to the process group of `npx fleetbench run` ends the run ABORTED and npx with 130, the documented status', async () => {
      const plan = await t.cli.writePlan('plan.yaml', PLAN);
      t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', plan], {
        viaNpx: true,
        ownGroup: true,
      });
      const engine = t.engine;
      const runId = await engine.runId;
      await until(started, { what: 'the workload to start', timeoutMs: 20_000 });
      const group = -(engine.child.pid ?? 0);

      process.kill(group, 'SIGINT');
      await until(() => engine.stderr().includes('Press Ctrl+C again'), {
        what: 'the warning',
        timeoutMs: 10_000,
      });
      process.kill(group, 'SIGINT');
      const exit = await engine.exited;

      // npm ends as its child did: by SIGINT, which a shell shows as 130.
      expect(exit).toEqual({ code: null, signal: 'SIGINT' });
      expect(engine.stdout()).toMatch(new RegExp(`Run ${runId} ABORTED`));
      const view = await t.cli.runJson<RunView>('show', runId);
      expect(view.state).toBe('ABORTED');
      expect(existsSync(join(hostWork(t.cli.dataDir, 'host-1'), 'teardown.marker'))).toBe(true);
    });

    it('twice stops a shell loop over plans too, since the run ends by SIGINT', async () => {
      const plan = await t.cli.writePlan('plan.yaml', PLAN);
      const loop = spawn(
        'bash',
        [
          '-c',
          `for i in 1 2; do node ${BIN} --data-dir ${t.cli.dataDir} run ${plan}; done; echo loop-finished`,
        ],
        { cwd: t.cli.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      let output = '';
      loop.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      loop.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const exited = once(loop, 'exit');
      const group = -(loop.pid ?? 0);
      let code: unknown;
      let signal: unknown;
      try {
        await until(started, { what: 'the workload to start', timeoutMs: 20_000 });
        process.kill(group, 'SIGINT');
        await until(() => output.includes('Press Ctrl+C again'), { what: 'the warning', timeoutMs: 10_000 });
        process.kill(group, 'SIGINT');
        [code, signal] = await exited;
      } finally {
        if (loop.exitCode === null && loop.signalCode === null) process.kill(group, 'SIGKILL');
      }

      expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
      expect(output).not.toContain('loop-finished');
      expect(await t.cli.runJson<unknown[]>('runs')).toHaveLength(1);
    });
  });

  describe('validate', () => {
    it('reports every problem at once, one line each with file:line:column, and takes `fio runtime: 2s`', async () => {
      const bad = await t.cli.writePlan(
        'bad.yaml',
        'name: bad\nhosts: { local: 0 }\nworkloads:\n  - name: disk\n    plugin: fio\n    options: { runtime: 2x }\n  - name: cpu\n    plugin: stress-ng\n    options: { stressor: cpu, timeout: 0s }\n',
      );
      const good = await t.cli.writePlan(
        'good.yaml',
        'name: good\nhosts: { local: 1 }\nworkloads:\n  - name: disk\n    plugin: fio\n    options: { runtime: 2s }\n',
      );

      const rejected = await cli(t.cli, ['validate', bad]);
      const accepted = await cli(t.cli, ['validate', good]);

      expect(rejected.code).toBe(2);
      expect(rejected.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^error: \S+bad\.yaml:2:17: hosts\.local: must be at least 1/),
        expect.stringMatching(
          /^error: \S+bad\.yaml:6:25: workloads\[0\]\.options\.runtime: invalid duration "2x"/,
        ),
        expect.stringMatching(
          /^error: \S+bad\.yaml:9:40: workloads\[1\]\.options\.timeout: must be longer than 0s/,
        ),
      ]);
      expect(accepted.code).toBe(0);
      expect(accepted.stdout).toContain('Plan "good" is valid.');
    });
  });
});
