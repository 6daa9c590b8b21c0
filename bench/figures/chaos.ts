/**
 * Figure 7 — the chaos test's long mode: test/e2e/chaos.test.ts with many trials, each a random plan whose
 * engine is killed or signalled at random moments and resumed until the run ends, checking that every task
 * ran exactly once after the last kill, every started teardown finished, nothing was left running, and the
 * journal and the events agree. `npm test` runs 4 trials; the full bench runs more, with a seed of its own
 * recorded here, so a failure can be replayed with FLEETBENCH_CHAOS_SEED.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type FigureResult, measured } from '../lib/report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function chaosFigure(trials: number, log: (line: string) => void): Promise<FigureResult> {
  const seed = Math.floor(Math.random() * 2 ** 31);
  log(`  ${trials} trials, seed ${seed}`);
  const started = performance.now();
  const { code, output } = await vitest(['test/e2e/chaos.test.ts', `--testTimeout=${trials * 120_000}`], {
    FLEETBENCH_CHAOS_SEED: String(seed),
    FLEETBENCH_CHAOS_TRIALS: String(trials),
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  // A failing trial stops the test: its number is in the assertion's context ("trial N of seed S").
  const failedTrial = code === 0 ? undefined : Number(/trial (\d+) of seed/.exec(output)?.[1] ?? 1);
  const held = failedTrial === undefined ? trials : failedTrial - 1;
  return {
    id: 'chaos',
    title: 'Chaos: random plans killed or signalled and resumed',
    method:
      'test/e2e/chaos.test.ts in its long mode (FLEETBENCH_CHAOS_TRIALS), a fresh seed each bench run; trials ' +
      'count until the first one that breaks an invariant.',
    measurements: [
      measured(
        `trials that held every invariant (seed ${seed})`,
        held,
        'trials',
        { comparator: '>=', value: trials, unit: 'trials' },
        failedTrial === undefined ? undefined : `replay: FLEETBENCH_CHAOS_SEED=${seed} npm run bench:chaos`,
      ),
    ],
    details: {
      seed,
      trials,
      seconds,
      exitCode: code,
      ...(code === 0 ? {} : { output: output.slice(-4_000) }),
    },
  };
}

function vitest(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
