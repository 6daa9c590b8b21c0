/**
 * A step never waits for an answer that cannot come. Output whose metrics the journal could not hold fails
 * its task through the real CLI; a journal that refuses a result, or every result, is injected into the
 * real engine (wrapJournal: the store, its dynalite and the workflow stay real) because no plan can make
 * the store refuse on demand once the metric limits reject what would overflow it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunView } from '../../lib/cli/run-view.js';
import type { JournalRepo } from '../../lib/core/ports.js';
import { LocalEngine } from '../../lib/engine/local-engine.js';
import { CliHarness } from '../support/cli.js';
import { hostWork } from '../support/host-work.js';

let cli: CliHarness;
beforeEach(async () => {
  cli = await CliHarness.create();
});
afterEach(async () => cli.dispose());

async function runPlan(plan: string) {
  const path = await cli.writePlan('plan.yaml', plan);
  const startedAt = Date.now();
  const result = await cli.run('run', path);
  const runId = /Started run (\S+)/.exec(result.stdout)?.[1] ?? '';
  return { result, elapsedMs: Date.now() - startedAt, view: await cli.runJson<RunView>('show', runId) };
}

const bigMetricsPlan = (line: string) => `
name: limits
hosts: { local: 2 }
repetitions: 1
timeouts: { task: 30s, stop: 5s }
workloads:
  - name: big
    plugin: shell
    options:
      command: |
        node -e '${line}'
    teardown: ["touch big.teardown"]
  - name: after
    plugin: shell
    options: { command: 'echo "{\\"ok\\": 1}"' }
`;

describe('Results that cannot be recorded', () => {
  it('fails a task whose metrics line has more metrics than a task may report, and the run goes on', async () => {
    const { result, view, elapsedMs } = await runPlan(
      bigMetricsPlan(
        'const o = {}; for (let i = 0; i < 3000; i++) o["m" + i + "_" + "x".repeat(150)] = i; console.log(JSON.stringify(o))',
      ),
    );

    expect(result.code).toBe(1);
    expect(elapsedMs).toBeLessThan(25_000);
    expect(view.state).toBe('FINISHED');
    const big = view.tasks.filter((t) => t.workload === 'big');
    expect(big.map((t) => [t.status, t.error])).toEqual([
      ['FAILED', 'shell: 3000 metrics reported, at most 100 per task'],
      ['FAILED', 'shell: 3000 metrics reported, at most 100 per task'],
    ]);
    expect(view.tasks.filter((t) => t.workload === 'after').map((t) => t.status)).toEqual([
      'COMPLETED',
      'COMPLETED',
    ]);
    expect(existsSync(join(hostWork(cli.dataDir, 'host-1'), 'big.teardown'))).toBe(true);
  });

  it.each([
    [
      'a value DynamoDB cannot store',
      'console.log(JSON.stringify({ huge: 1e300 }))',
      /metric "huge" is 1e\+300, outside/,
    ],
    [
      'a name longer than 64 bytes',
      'console.log(JSON.stringify({ ["n".repeat(65)]: 1 }))',
      /longer than 64 bytes/,
    ],
    [
      'a unit longer than 32 bytes',
      'console.log(JSON.stringify({ x: { value: 1, unit: "u".repeat(33) } }))',
      /metric "x" has a unit longer than 32 bytes/,
    ],
  ])('fails a task that reports %s, naming the metric', async (_what, line, error) => {
    const { view } = await runPlan(bigMetricsPlan(line));

    const big = view.tasks.filter((t) => t.workload === 'big');
    expect(big.every((t) => t.status === 'FAILED' && error.test(t.error ?? ''))).toBe(true);
    expect(view.tasks.filter((t) => t.workload === 'after').every((t) => t.status === 'COMPLETED')).toBe(
      true,
    );
  });

  it('gives metrics named like Object members the unit the plan or the output says', async () => {
    const { view } = await runPlan(`
name: proto
hosts: { local: 1 }
repetitions: 1
workloads:
  - name: odd-names
    plugin: shell
    options:
      command: |
        echo '{"__proto__": 1, "constructor": 2, "toString": {"value": 3, "unit": "ms"}}'
`);

    expect(view.tasks[0]?.status).toBe('COMPLETED');
    expect(Object.entries(view.tasks[0]?.metrics ?? {})).toEqual([
      ['__proto__', { value: 1, unit: '' }],
      ['constructor', { value: 2, unit: '' }],
      ['toString', { value: 3, unit: 'ms' }],
    ]);
  });
});

/** The real journal, with recordTaskResult refusing the results `refuse` picks, as DynamoDB refuses an item over 400 KB. */
function refusing(refuse: (result: Parameters<JournalRepo['recordTaskResult']>[1]) => boolean) {
  return (journal: JournalRepo): JournalRepo =>
    new Proxy(journal, {
      get(target, property) {
        if (property !== 'recordTaskResult') {
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        const record: JournalRepo['recordTaskResult'] = async (runId, result) => {
          if (refuse(result))
            throw new Error('ValidationException: Item size has exceeded the maximum allowed size');
          return target.recordTaskResult(runId, result);
        };
        return record;
      },
    });
}

const STEP_PLAN = {
  name: 'refused',
  hosts: { local: 2 },
  repetitions: 2,
  timeouts: { task: '2s', stop: '1s' },
  workloads: [
    {
      name: 'w',
      plugin: 'shell',
      options: { command: 'echo "{\\"ops\\": 5}"' },
      teardown: ['touch w.teardown'],
    },
  ],
};

describe('A journal that refuses results', () => {
  it("fails the task whose result was refused with the store's reason, and records the others", async () => {
    let refused = 0;
    const engine = await LocalEngine.open({
      dataDir: cli.dataDir,
      wrapJournal: refusing((r) => r.status === 'COMPLETED' && r.host === 'host-2' && ++refused === 1),
    });
    try {
      const final = await engine.start({ plan: STEP_PLAN }).done;
      const tasks = await engine.deps.journal.listTasks(final.runId);

      expect(final.state).toBe('FINISHED');
      expect(tasks.map((t) => `${t.key} ${t.status} ${t.error ?? ''}`)).toEqual([
        'host-1::w::1 COMPLETED ',
        'host-2::w::1 FAILED the result could not be recorded: ValidationException: Item size has exceeded the maximum allowed size',
        'host-1::w::2 COMPLETED ',
        'host-2::w::2 COMPLETED ',
      ]);
    } finally {
      await engine.close();
    }
  });

  it('ends a step that can record no result after its task timeout plus its stop timeout, and still tears down', async () => {
    const engine = await LocalEngine.open({ dataDir: cli.dataDir, wrapJournal: refusing(() => true) });
    try {
      const startedAt = Date.now();
      const final = await engine.start({ plan: { ...STEP_PLAN, repetitions: 1 } }).done;
      const elapsedMs = Date.now() - startedAt;

      // 2 s + 1 s of deadline, plus the engine's own work on a loaded machine.
      expect(elapsedMs).toBeGreaterThanOrEqual(3_000);
      expect(elapsedMs).toBeLessThan(12_000);
      const tasks = await engine.deps.journal.listTasks(final.runId);
      expect(final.state).toBe('FINISHED');
      expect(tasks.map((t) => `${t.key} ${t.status} ${t.error ?? ''}`)).toEqual([
        'host-1::w::1 FAILED no result received from the host',
        'host-2::w::1 FAILED no result received from the host',
      ]);
      for (const host of ['host-1', 'host-2'])
        expect(existsSync(join(hostWork(cli.dataDir, host), 'w.teardown'))).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
