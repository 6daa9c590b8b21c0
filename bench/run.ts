/**
 * `npm run bench` — proves (or disproves) that fleetbench is fast, scales to 1,000 hosts and costs cents:
 *
 *   1. local orchestration overhead per host-task, against a fork loop and against Ansible
 *   2. Step Functions history events per execution, from the real ASL in the local interpreter
 *   3. projected AWS cost per 1,000 host-tasks, its DynamoDB count checked on dynalite
 *   4. stop latency on a local run
 *   5. journal write throughput on dynalite
 *   6. the engine's peak memory during a long run
 *   7. the chaos test's long mode (the full run only: its 40 trials take several minutes)
 *
 * `--quick` runs smaller shapes in under 2 minutes (CI); the default runs in under 10. Every figure is
 * reported against its target in bench/results.json and as a Markdown table; a missed target is a result,
 * not a failure: only a crash exits non-zero.
 */
import '../lib/adapters/local/polyfills.js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chaosFigure } from './figures/chaos.js';
import { costFigure } from './figures/cost.js';
import { historyFigure } from './figures/history.js';
import { journalFigure } from './figures/journal-throughput.js';
import { memoryFigure } from './figures/memory.js';
import { overheadFigure } from './figures/overhead.js';
import { stopFigure } from './figures/stop-latency.js';
import { machine } from './lib/machine.js';
import { type FigureResult, markdownTable } from './lib/report.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));

/** The sizes of each mode: quick keeps CI under 2 minutes. */
const MODES = {
  quick: {
    overhead: { reps: 15, trials: 3, ansibleTrials: 1 },
    costMeasuredHosts: 100,
    stopTrials: 3,
    journalTasks: 500,
    memory: { hosts: 20, reps: 50 },
    chaosTrials: 0,
  },
  full: {
    overhead: { reps: 30, trials: 3, ansibleTrials: 2 },
    costMeasuredHosts: 500,
    stopTrials: 5,
    journalTasks: 1000,
    memory: { hosts: 50, reps: 200 },
    chaosTrials: 40,
  },
} as const;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const mode = quick ? MODES.quick : MODES.full;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const figures: FigureResult[] = [];
  const steps: [string, () => Promise<FigureResult> | FigureResult][] = [
    ['1/7 local orchestration overhead', () => overheadFigure(mode.overhead, log)],
    ['2/7 Step Functions history', () => historyFigure()],
    ['3/7 projected AWS cost', () => costFigure({ measuredHosts: mode.costMeasuredHosts }, log)],
    ['4/7 stop latency', () => stopFigure(mode.stopTrials, log)],
    ['5/7 journal throughput', () => journalFigure(mode.journalTasks)],
    ['6/7 engine memory', () => memoryFigure(mode.memory.hosts, mode.memory.reps, quick)],
  ];
  if (mode.chaosTrials > 0) steps.push(['7/7 chaos long mode', () => chaosFigure(mode.chaosTrials, log)]);
  for (const [name, run] of steps) {
    const start = performance.now();
    log(`${name}…`);
    figures.push(await run());
    log(`  done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const results = {
    mode: quick ? 'quick' : 'full',
    machine: machine(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    summary: {
      pass: count(figures, 'pass'),
      miss: count(figures, 'miss'),
    },
    figures,
  };
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine;
  process.stdout.write(
    `fleetbench bench (${results.mode}, ${results.durationSeconds} s) on ${m.cpuModel}, ${m.cores} cores, ` +
      `${m.memoryGiB} GiB, Node ${m.node}, ${m.os}, ${m.date}, load average ${m.loadAverage}\n\n` +
      `${markdownTable(figures)}\n\n` +
      `${results.summary.pass} targets met, ${results.summary.miss} missed. Written to bench/results.json.\n`,
  );
}

function count(figures: readonly FigureResult[], status: string): number {
  return figures.flatMap((f) => f.measurements).filter((m) => m.status === status).length;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
