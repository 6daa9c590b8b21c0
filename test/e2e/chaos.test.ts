/**
 * Chaos: random plans (setups, repetitions, teardowns, both strategies) whose engine is killed (`kill -9`)
 * or signalled (SIGTERM, SIGHUP) at random moments, then resumed until the run finishes. Every command
 * writes what it starts and finishes to a ledger in its host's directory; at the end:
 * - every task is COMPLETED, and no task's command completed more than once after the last kill;
 * - every teardown that started ran to completion afterwards;
 * - no process of the run is left;
 * - the journal and the events agree (one task.completed event for each completed task's final attempt).
 * The seed is printed; replay a failure with FLEETBENCH_CHAOS_SEED=<seed>. The full `npm run bench` (figure 7)
 * and `npm run bench:chaos` run 40 trials (FLEETBENCH_CHAOS_TRIALS).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import { runCli } from '../support/cli.js';
import { engineFixture } from '../support/engine-fixture.js';
import { startEngineProcess } from '../support/engine-process.js';
import { hostWork } from '../support/host-work.js';
import { until } from '../support/processes.js';

const SEED = Number(process.env.FLEETBENCH_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TRIALS = Number(process.env.FLEETBENCH_CHAOS_TRIALS ?? 4);
/** Interruptions per trial at most; then the run is left to finish. */
const MAX_INTERRUPTIONS = 4;

/** mulberry32: a small seeded generator, so a seed replays the same plans and kill times. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Trial = { plan: string; hosts: string[]; workloads: string[] };

function randomPlan(random: () => number, n: number): Trial {
  const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const hosts = Array.from({ length: pick(1, 3) }, (_, i) => `host-${i + 1}`);
  const workloads = Array.from({ length: pick(1, 2) }, (_, i) => `w${i + 1}`);
  const sleep = () => (random() * 0.4).toFixed(2);
  const body = workloads
    .map(
      (w) => `
  - name: ${w}
    plugin: shell
    options:
      command: |
        echo "run $FLEETBENCH_TASK_KEY" >> ledger
        sleep ${sleep()}
        echo "done $FLEETBENCH_TASK_KEY" >> ledger
        echo '{"ok": 1}'
    setup: ["echo 'setup ${w}' >> ledger; sleep ${sleep()}"]
    teardown: ["echo 'teardown-start ${w}' >> ledger; sleep ${sleep()}; echo 'teardown-done ${w}' >> ledger"]`,
    )
    .join('');
  const plan = `
name: chaos-${n}
hosts: { local: ${hosts.length} }
repetitions: ${pick(1, 3)}
strategy: ${random() < 0.5 ? 'lockstep' : 'free'}
timeouts: { task: 30s, stop: 10s }
setup: ["echo 'global-setup' >> ledger; sleep ${sleep()}"]
teardown: ["echo 'teardown-start global' >> ledger; sleep ${sleep()}; echo 'teardown-done global' >> ledger"]
workloads:${body}
`;
  return { plan, hosts, workloads };
}

/** Live processes whose environment names the run: what the run left behind. */
function processesOf(runId: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${pid}/environ`, 'latin1')
          .split('\0')
          .includes(`FLEETBENCH_RUN_ID=${runId}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const t = engineFixture();

describe('Chaos: kills and signals at random points, then resume', () => {
  it(`completes every task once, finishes every started teardown, leaves nothing behind (seed ${SEED})`, async () => {
    console.log(`chaos seed ${SEED} (replay: FLEETBENCH_CHAOS_SEED=${SEED}), ${TRIALS} trials`);
    const random = generator(SEED);
    for (let trial = 1; trial <= TRIALS; trial++) {
      const { plan, hosts } = randomPlan(random, trial);
      const dataDir = join(t.cli.dir, `trial-${trial}`);
      const path = await t.cli.writePlan(`plan-${trial}.yaml`, plan);
      const ledger = (h: string) => join(hostWork(dataDir, h), 'ledger');
      const lines = (h: string) =>
        existsSync(ledger(h)) ? readFileSync(ledger(h), 'utf8').trim().split('\n') : [];
      const context = `trial ${trial} of seed ${SEED}:\n${plan}`;

      let args = ['run', path];
      let runId: string | undefined;
      /** Ledger length per host at the last interruption. */
      let cut: Record<string, number> = {};
      let final: RunView | undefined;
      for (let round = 0; final === undefined; round++) {
        t.engine = startEngineProcess(t.cli.dir, dataDir, args);
        runId = await Promise.race([t.engine.runId, t.engine.exited.then(() => runId)]);
        if (runId === undefined) throw new Error(`the engine ended before the run started (${context})`);
        args = ['resume', runId];
        const interrupt = round < MAX_INTERRUPTIONS;
        if (interrupt) {
          const signal =
            (['SIGKILL', 'SIGKILL', 'SIGTERM', 'SIGHUP'] as const)[Math.floor(random() * 4)] ?? 'SIGKILL';
          const delay = 150 + random() * 1500;
          const timer = setTimeout(() => {
            cut = Object.fromEntries(hosts.map((h) => [h, lines(h).length]));
            t.engine?.child.kill(signal);
          }, delay);
          await t.engine.exited;
          clearTimeout(timer);
        } else {
          await t.engine.exited;
        }
        const shown = await runCli(['show', runId, '--json'], {
          env: { FLEETBENCH_HOME: dataDir },
          cwd: t.cli.dir,
        });
        const view = JSON.parse(shown.stdout) as RunView;
        if (view.state === 'FINISHED') final = view;
        else if (!interrupt) throw new Error(`run ended ${view.state} without interruption (${context})`);
      }
      const runIdOf = runId ?? '';

      expect(final.counts, context).toMatchObject({ failed: 0, running: 0, pending: 0, cancelled: 0 });
      expect(
        final.tasks.filter((x) => x.status !== 'COMPLETED').map((x) => `${x.key} ${x.status} ${x.error}`),
        context,
      ).toEqual([]);
      for (const h of hosts) {
        const all = lines(h);
        const after = all.slice(cut[h] ?? 0);
        for (const task of final.tasks.filter((x) => x.host === h)) {
          const done = `done ${task.key}`;
          expect(
            after.filter((l) => l === done).length,
            `${done} after the last kill, ${context}`,
          ).toBeLessThanOrEqual(1);
          expect(all.filter((l) => l === done).length, `${done}, ${context}`).toBeGreaterThanOrEqual(1);
        }
        // A teardown's last start is followed by its completion.
        for (const what of new Set(
          all.filter((l) => l.startsWith('teardown-start ')).map((l) => l.slice(15)),
        )) {
          const last = all.lastIndexOf(`teardown-start ${what}`);
          expect(
            all.slice(last).includes(`teardown-done ${what}`),
            `teardown ${what} on ${h}, ${context}`,
          ).toBe(true);
        }
      }
      await until(() => processesOf(runIdOf).length === 0, {
        what: 'the run’s processes to end',
        timeoutMs: 5_000,
      });
      const events = readFileSync(join(dataDir, 'runs', runIdOf, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; subject?: string; data?: { attempt?: number } });
      for (const task of final.tasks) {
        const completed = events.filter(
          (e) => e.type === 'dev.fleetbench.task.completed' && e.subject === task.key,
        );
        expect(completed.length, `task.completed events of ${task.key}, ${context}`).toBe(1);
      }
      expect(events.filter((e) => e.type === 'dev.fleetbench.task.completed')).toHaveLength(
        final.tasks.length,
      );
    }
  }, 170_000);
});
