/**
 * Figure 8 — CLI start-up: `fleetbench` commands as users start them, whole processes of
 * `node bin/fleetbench.js` (the compiled CLI in dist/, built before the figure runs), timed from their start
 * to their exit, wall and CPU (user + system) time, against Node's own start-up (`node -e 0`, the floor) and
 * `ansible --version` (the peer) when Ansible is installed. Beside the times, what each command loads:
 * the sources behind the modules its process loaded, by package (bench/lib/cli-modules.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../scripts/build-cli.js';
import { packagesOf, traceCliModules } from '../lib/cli-modules.js';
import { type ProcessTime, timeProcess } from '../lib/process-time.js';
import { type FigureResult, measured, type Target, unavailable } from '../lib/report.js';
import { median, round } from '../lib/stats.js';

const BIN = fileURLToPath(new URL('../../bin/fleetbench.js', import.meta.url));

const seconds = (value: number): Target => ({ comparator: '<=', value, unit: 's' });
const TARGETS = {
  help: seconds(0.25),
  read: seconds(0.5),
  stop: seconds(0.6),
  run: seconds(0.6),
} as const;

const ONE_TASK = `name: one-task
hosts: { local: 1 }
repetitions: 1
workloads:
  - name: noop
    plugin: shell
    options: { command: /bin/true }
`;

/** A run that holds until it is stopped; its command touches $MARK once it runs. */
const HOLD = `name: hold
hosts: { local: 1 }
repetitions: 1
workloads:
  - name: hold
    plugin: shell
    options: { command: 'touch "$MARK"; exec sleep 120' }
`;

type Series = { readonly wall: number[]; readonly cpu: number[] };

function cli(args: readonly string[], cwd: string): ProcessTime {
  const time = timeProcess(process.execPath, [BIN, ...args], { cwd });
  if (time.code !== 0) {
    throw new Error(`fleetbench ${args.join(' ')} exited ${time.code}: ${time.stderr.trim()}`);
  }
  return time;
}

/** One untimed call (the page cache), then `trials` timed ones. */
function series(trials: number, call: () => ProcessTime): Series {
  call();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < trials; i += 1) {
    const time = call();
    wall.push(time.wallMs / 1000);
    cpu.push(time.cpuMs / 1000);
  }
  return { wall, cpu };
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `fleetbench stop` from another terminal, of a local run whose command is running. */
async function stopTrial(root: string, trial: number): Promise<ProcessTime> {
  const dir = await mkdtemp(join(root, 'stop-'));
  const mark = join(dir, 'running');
  const runId = `hold-20260101-000000-${String(trial).padStart(4, '0')}`;
  const plan = join(dir, 'hold.yaml');
  await writeFile(plan, HOLD);
  const engine: ChildProcess = spawn(
    process.execPath,
    [BIN, '--data-dir', dir, 'run', plan, '--run-id', runId],
    {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, MARK: mark },
    },
  );
  const exited = once(engine, 'exit');
  try {
    await until('the held run to start its command', () => existsSync(mark), 60_000);
    const time = cli(['--data-dir', dir, 'stop', runId], dir);
    if (!time.stdout.includes('Stop requested'))
      throw new Error(`stop did not request a stop: ${time.stdout}`);
    await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the stopped run did not end')), 60_000)),
    ]);
    return time;
  } finally {
    if (engine.exitCode === null && engine.signalCode === null) engine.kill('SIGKILL');
  }
}

function ansibleInstalled(): boolean {
  try {
    return timeProcess('ansible', ['--version'], { cwd: tmpdir() }).code === 0;
  } catch {
    return false;
  }
}

/** Kilobytes loaded per package, largest first (the top 12 and the rest). */
function loadedBy(args: readonly string[], cwd: string): Record<string, number> {
  const result = traceCliModules(args, { cwd });
  if (result.code !== 0)
    throw new Error(`fleetbench ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  const sorted = [...packagesOf(result.sources)].sort((a, b) => b[1] - a[1]);
  const shown = Object.fromEntries(
    sorted.slice(0, 12).map(([name, bytes]) => [name, Math.round(bytes / 1024)]),
  );
  const rest = sorted.slice(12).reduce((sum, [, bytes]) => sum + bytes, 0);
  const total = sorted.reduce((sum, [, bytes]) => sum + bytes, 0);
  return { ...shown, '(others)': Math.round(rest / 1024), '(total)': Math.round(total / 1024) };
}

export async function startupFigure(trials: number, log: (line: string) => void): Promise<FigureResult> {
  // The figure measures what `npm ci` ships: dist/ built from the sources as they are now.
  await buildCli();
  const root = await mkdtemp(join(tmpdir(), 'fleetbench-startup-'));
  try {
    const dataDir = join(root, 'data');
    const plan = join(root, 'one-task.yaml');
    await writeFile(plan, ONE_TASK);
    const runId = 'startup-20260101-000000-0000';
    cli(['--data-dir', dataDir, 'run', plan, '--run-id', runId], root);

    const floor = series(trials, () => timeProcess(process.execPath, ['-e', '0'], { cwd: root }));
    const help = series(trials, () => cli(['--help'], root));
    const validate = series(trials, () => cli(['validate', plan], root));
    const runs = series(trials, () => cli(['--data-dir', dataDir, 'runs'], root));
    const status = series(trials, () => cli(['--data-dir', dataDir, 'status', runId], root));
    log(`  --help ${median(help.wall).toFixed(3)} s, runs ${median(runs.wall).toFixed(3)} s`);
    let fresh = 0;
    const run = series(trials, () => {
      fresh += 1;
      return cli(['--data-dir', join(root, `run-${fresh}`), 'run', plan], root);
    });
    const stopTimes: ProcessTime[] = [];
    for (let t = 0; t < trials; t += 1) stopTimes.push(await stopTrial(root, t));
    const stop: Series = {
      wall: stopTimes.map((t) => t.wallMs / 1000),
      cpu: stopTimes.map((t) => t.cpuMs / 1000),
    };
    log(`  run ${median(run.wall).toFixed(3)} s, stop ${median(stop.wall).toFixed(3)} s`);
    const peer = ansibleInstalled()
      ? series(trials, () => timeProcess('ansible', ['--version'], { cwd: root }))
      : undefined;

    const row = (name: string, s: Series, target?: Target) =>
      measured(name, median(s.wall), 's', target, `CPU ${median(s.cpu).toFixed(3)} s`);
    return {
      id: 'startup',
      title: 'CLI start-up',
      method:
        'Whole processes of `node bin/fleetbench.js` (dist/, built by esbuild), start to exit, timed by bash ' +
        '($EPOCHREALTIME; CPU = user + system of the process and the children it waited for, from `times`), ' +
        `one untimed call then the median of ${trials}: \`runs\` and \`status\` on a data directory holding one ` +
        'finished run; `run` of a 1-task plan (1 local host, /bin/true) in a fresh data directory each time; ' +
        '`stop` of a local run whose command is running, started in another process.',
      measurements: [
        row('fleetbench --help (median)', help, TARGETS.help),
        row('fleetbench runs (median)', runs, TARGETS.read),
        row('fleetbench status <id> (median)', status, TARGETS.read),
        row('fleetbench stop <id> of a running local run (median)', stop, TARGETS.stop),
        row('fleetbench run of a 1-task plan, start to exit (median)', run, TARGETS.run),
        row('fleetbench validate of the 1-task plan (median)', validate),
        row('floor: node -e 0 (median)', floor),
        peer === undefined
          ? unavailable(
              'peer: ansible --version',
              's',
              'not installed',
              'Ansible is not installed (apt-get install ansible)',
            )
          : row('peer: ansible --version (median)', peer),
      ],
      details: {
        trials: Object.fromEntries(
          Object.entries({ help, validate, runs, status, run, stop, floor, ...(peer ? { peer } : {}) }).map(
            ([name, s]) => [
              name,
              { wallSeconds: s.wall.map((v) => round(v)), cpuSeconds: s.cpu.map((v) => round(v)) },
            ],
          ),
        ),
        // Kilobytes of source each command loads, by package: what lazy loading keeps out of each.
        loadedKiB: {
          help: loadedBy(['--help'], root),
          validate: loadedBy(['validate', plan], root),
          runs: loadedBy(['--data-dir', dataDir, 'runs'], root),
          status: loadedBy(['--data-dir', dataDir, 'status', runId], root),
          run: loadedBy(['--data-dir', join(root, 'traced-run'), 'run', plan], root),
        },
      },
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
