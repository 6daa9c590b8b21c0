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
 *   8. CLI start-up: whole `fleetbench` processes (--help, runs, status, stop, a 1-task run)
 *
 * `--quick` runs smaller shapes in under 3 minutes (CI); the default runs in under 10. Every figure is
 * reported against its target in bench/results.json and as a Markdown table; a missed target is a result,
 * not a failure: only a crash exits non-zero. `--only startup,stop` runs those figures (by id) and
 * replaces them in results.json, keeping the others as they were measured (each figure says when, and in
 * which mode).
 */
import '../lib/adapters/local/polyfills.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chaosFigure } from './figures/chaos.js';
import { costFigure } from './figures/cost.js';
import { historyFigure } from './figures/history.js';
import { journalFigure } from './figures/journal-throughput.js';
import { memoryFigure } from './figures/memory.js';
import { overheadFigure } from './figures/overhead.js';
import { startupFigure } from './figures/startup.js';
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
    startupTrials: 3,
    chaosTrials: 0,
  },
  full: {
    overhead: { reps: 30, trials: 3, ansibleTrials: 2 },
    costMeasuredHosts: 500,
    stopTrials: 5,
    journalTasks: 1000,
    memory: { hosts: 50, reps: 200 },
    startupTrials: 5,
    chaosTrials: 40,
  },
} as const;

type Step = readonly [id: string, name: string, run: () => Promise<FigureResult> | FigureResult];

/** `--only a,b`: the figure ids to run, or undefined for all. */
function onlyOf(argv: readonly string[], known: readonly string[]): string[] | undefined {
  const at = argv.indexOf('--only');
  if (at === -1) return undefined;
  const ids = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = ids.filter((id) => !known.includes(id));
  if (ids.length === 0 || unknown.length > 0) {
    process.stderr.write(`error: --only takes figure ids among ${known.join(', ')}\n`);
    process.exit(2);
  }
  return ids;
}

/** The figures of an earlier results.json that this run does not measure again. */
function keptFigures(replaced: readonly FigureResult[]): FigureResult[] {
  if (!existsSync(RESULTS)) return [];
  const previous = JSON.parse(readFileSync(RESULTS, 'utf8')) as { figures?: FigureResult[] };
  return (previous.figures ?? []).filter((f) => !replaced.some((r) => r.id === f.id));
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const mode = quick ? MODES.quick : MODES.full;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const measuredFigures: FigureResult[] = [];
  const steps: Step[] = [
    ['overhead', '1/8 local orchestration overhead', () => overheadFigure(mode.overhead, log)],
    ['history', '2/8 Step Functions history', () => historyFigure()],
    ['cost', '3/8 projected AWS cost', () => costFigure({ measuredHosts: mode.costMeasuredHosts }, log)],
    ['stop', '4/8 stop latency', () => stopFigure(mode.stopTrials, log)],
    ['journal', '5/8 journal throughput', () => journalFigure(mode.journalTasks)],
    ['memory', '6/8 engine memory', () => memoryFigure(mode.memory.hosts, mode.memory.reps, quick)],
  ];
  if (mode.chaosTrials > 0)
    steps.push(['chaos', '7/8 chaos long mode', () => chaosFigure(mode.chaosTrials, log)]);
  steps.push(['startup', '8/8 CLI start-up', () => startupFigure(mode.startupTrials, log)]);
  const only = onlyOf(
    process.argv,
    steps.map(([id]) => id),
  );
  for (const [id, name, run] of steps) {
    if (only !== undefined && !only.includes(id)) continue;
    const start = performance.now();
    log(`${name}…`);
    const figure = await run();
    const m = machine();
    measuredFigures.push({
      ...figure,
      measured: { mode: quick ? 'quick' : 'full', date: m.date, loadAverage: m.loadAverage },
    });
    log(`  done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  const order = steps.map(([id]) => id);
  const kept = only === undefined ? [] : keptFigures(measuredFigures);
  const figures = [...kept, ...measuredFigures].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const results = {
    mode: quick ? 'quick' : 'full',
    ...(only !== undefined ? { only } : {}),
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
      `${markdownTable(measuredFigures)}\n\n` +
      `${count(measuredFigures, 'pass')} targets met, ${count(measuredFigures, 'miss')} missed. Written to bench/results.json` +
      `${kept.length > 0 ? ` (with ${kept.map((f) => f.id).join(', ')} as measured before)` : ''}.\n`,
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
