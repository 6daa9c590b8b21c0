/**
 * Figure 4 — stop latency: a run of long `sleep` tasks on 3 local hosts; a stop is requested through the
 * engine's handle (the same path as `fleetbench stop`: the request is written to the catalog and the
 * engine's stop watcher picks it up); measured are request → the last workload process gone, and
 * request → the workload teardown started (its command writes a timestamp).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalEngine } from '../../lib/engine/local-engine.js';
import { withDataDir } from '../lib/engine-run.js';
import { type FigureResult, measured } from '../lib/report.js';
import { median, round } from '../lib/stats.js';

const HOSTS = 3;

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with `date +%s%N`). */
const wallNow = () => performance.timeOrigin + performance.now();

/** Whether a process exists and has not exited (a zombie has exited: only its parent has not reaped it yet). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, condition: () => boolean, timeoutMs: number, everyMs = 1): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

type Trial = {
  processesGoneMs: number;
  teardownStartedMs: number;
  lastTeardownStartedMs: number;
  state: string;
};

async function trial(): Promise<Trial> {
  return withDataDir(async (dataDir) => {
    const marks = join(dataDir, 'marks');
    await mkdir(marks);
    const plan = {
      name: 'bench-stop',
      hosts: { local: HOSTS },
      repetitions: 1,
      env: { BENCH_MARKS: marks },
      workloads: [
        {
          name: 'sleep',
          plugin: 'shell',
          options: { command: 'echo $$ > "$BENCH_MARKS/pid.$FLEETBENCH_HOST"; exec sleep 120' },
          teardown: ['date +%s%N > "$BENCH_MARKS/teardown.$FLEETBENCH_HOST"'],
        },
      ],
    };
    const engine = await LocalEngine.open({ dataDir });
    try {
      const handle = engine.start({ plan });
      await handle.started;
      const pidFile = (host: number) => join(marks, `pid.host-${host + 1}`);
      const hosts = Array.from({ length: HOSTS }, (_, i) => i);
      await until('the workload processes', () => hosts.every((h) => existsSync(pidFile(h))), 20_000, 10);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const pids = hosts.map((h) => Number(readFileSync(pidFile(h), 'utf8').trim()));
      if (!pids.every(running)) throw new Error('a workload process ended before the stop');

      const requestedAt = wallNow();
      await handle.requestStop('bench');
      await until('the workload processes to end', () => !pids.some(running), 10_000);
      const goneAt = wallNow();
      const final = await handle.done;
      const starts = readdirSync(marks)
        .filter((f) => f.startsWith('teardown.'))
        .map((f) => Number(readFileSync(join(marks, f), 'utf8').trim()) / 1e6);
      if (starts.length !== HOSTS) throw new Error(`teardown ran on ${starts.length} of ${HOSTS} hosts`);
      return {
        processesGoneMs: goneAt - requestedAt,
        teardownStartedMs: Math.min(...starts) - requestedAt,
        lastTeardownStartedMs: Math.max(...starts) - requestedAt,
        state: final.state,
      };
    } finally {
      await engine.close();
    }
  });
}

export async function stopFigure(trials: number, log: (line: string) => void): Promise<FigureResult> {
  const results: Trial[] = [];
  for (let t = 0; t < trials; t += 1) {
    results.push(await trial());
    log(`  stop trial ${t + 1}: processes gone ${results.at(-1)?.processesGoneMs.toFixed(0)} ms`);
  }
  return {
    id: 'stop',
    title: 'Stop latency',
    method:
      `A run of \`sleep 120\` on ${HOSTS} local hosts; requestStop through the engine handle (written to the ` +
      'catalog, picked up by the engine stop watcher as a `fleetbench stop` would be); /proc polled every ' +
      `millisecond for the workload processes; the teardown command writes \`date +%s%N\`. Median of ${trials} trials.`,
    measurements: [
      measured(
        'request → last workload process gone (median)',
        median(results.map((r) => r.processesGoneMs)),
        'ms',
        {
          comparator: '<=',
          value: 1000,
          unit: 'ms',
        },
      ),
      measured(
        'request → teardown started (median, first host)',
        median(results.map((r) => r.teardownStartedMs)),
        'ms',
        {
          comparator: '<=',
          value: 2000,
          unit: 'ms',
        },
      ),
      measured(
        'request → teardown started on every host (median)',
        median(results.map((r) => r.lastTeardownStartedMs)),
        'ms',
      ),
    ],
    details: {
      hosts: HOSTS,
      trials: results.map((r) => ({
        processesGoneMs: round(r.processesGoneMs, 1),
        teardownStartedMs: round(r.teardownStartedMs, 1),
        lastTeardownStartedMs: round(r.lastTeardownStartedMs, 1),
        state: r.state,
      })),
    },
  };
}
