/**
 * Figure 5 — journal throughput: DynamoJournalRepo.recordTaskResult (the conditional UpdateItem every task
 * result costs) on RUNNING tasks against dynalite persisted on disk, as the local engine runs it (in-process,
 * no socket); one at a time, then 8 at a time. The same over loopback HTTP, as another process reaches the
 * engine's database, and in memory, for comparison.
 */
import { join } from 'node:path';
import { DynamoJournalRepo } from '../../lib/adapters/dynamodb/journal-repo.js';
import { ensureTables } from '../../lib/adapters/dynamodb/tables.js';
import {
  createLocalClients,
  LOCAL_TABLES,
  startDynalite,
} from '../../lib/adapters/local/embedded-dynalite.js';
import type { TaskRecord } from '../../lib/core/run.js';
import { withDataDir } from '../lib/engine-run.js';
import { type FigureResult, measured } from '../lib/report.js';
import { round } from '../lib/stats.js';

const RUN_ID = 'bench-journal';

function tasks(n: number): TaskRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const host = `host-${(i % 50) + 1}`;
    const rep = Math.floor(i / 50) + 1;
    return {
      key: `${host}::w::${rep}`,
      host,
      workload: 'w',
      rep,
      status: 'PENDING',
      attempts: 0,
      seed: String(i),
    };
  });
}

async function recordAll(
  journal: DynamoJournalRepo,
  list: readonly TaskRecord[],
  commandId: string,
  concurrency: number,
) {
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const task = list[next++] as TaskRecord;
      const applied = await journal.recordTaskResult(RUN_ID, {
        workload: task.workload,
        rep: task.rep,
        host: task.host,
        status: 'COMPLETED',
        commandId,
        finishedAt: new Date().toISOString(),
        durationMs: 1,
        exitCode: 0,
        metrics: [{ name: 'ops', value: 1, unit: 'ops/s' }],
        outputRef: `/tmp/outputs/${task.key}.stdout`,
      });
      if (!applied) throw new Error(`result of ${task.key} not applied`);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - start;
}

/**
 * Updates per second, sequential and 8 at a time, on dynalite on disk (`dir`) or in memory; `http` goes
 * over loopback HTTP as another process would, instead of in-process as the engine that serves it does.
 */
async function throughput(
  n: number,
  dir: string | undefined,
  via: 'in-process' | 'http' = 'in-process',
): Promise<Record<string, number>> {
  const server = await startDynalite(dir === undefined ? {} : { path: join(dir, 'db') });
  const { client, doc } = createLocalClients(
    server.endpoint,
    via === 'in-process' ? { requestHandler: server.inProcess } : {},
  );
  try {
    await ensureTables(client, LOCAL_TABLES);
    const journal = new DynamoJournalRepo({ client: doc, tableName: LOCAL_TABLES.journal });
    const list = tasks(n);
    await journal.putTasks(RUN_ID, list);
    const ms: Record<string, number> = {};
    for (const [label, concurrency] of [
      ['sequential', 1],
      ['concurrency 8', 8],
    ] as const) {
      const commandId = `c-${concurrency}`;
      await journal.markRunning(RUN_ID, list, commandId, new Date().toISOString());
      ms[label] = await recordAll(journal, list, commandId, concurrency);
    }
    return ms;
  } finally {
    client.destroy();
    await server.close();
  }
}

export async function journalFigure(n: number): Promise<FigureResult> {
  const disk = await withDataDir((dir) => throughput(n, dir));
  const http = await withDataDir((dir) => throughput(n, dir, 'http'));
  const memory = await throughput(n, undefined);
  const rate = (ms: Record<string, number>, label: string) => n / ((ms[label] ?? Number.NaN) / 1000);
  return {
    id: 'journal',
    title: 'Journal throughput',
    method:
      `recordTaskResult (conditional UpdateItem: RUNNING under this command → COMPLETED) on ${n} RUNNING tasks, ` +
      'against dynalite persisted on disk (LevelDB), called in-process as the engine that serves it does; ' +
      'for comparison over loopback HTTP (as another process reaches it, e.g. `fleetbench stop`) and in memory.',
    measurements: [
      measured('task status updates per second, sequential (disk)', rate(disk, 'sequential'), 'updates/s'),
      measured(
        'task status updates per second, concurrency 8 (disk)',
        rate(disk, 'concurrency 8'),
        'updates/s',
      ),
      measured('ms per update, sequential (disk)', (disk.sequential ?? 0) / n, 'ms'),
      measured('ms per update, sequential (disk, over loopback HTTP)', (http.sequential ?? 0) / n, 'ms'),
      measured(
        'task status updates per second, sequential (in memory)',
        rate(memory, 'sequential'),
        'updates/s',
      ),
      measured(
        'task status updates per second, concurrency 8 (in memory)',
        rate(memory, 'concurrency 8'),
        'updates/s',
      ),
    ],
    details: {
      tasks: n,
      diskMs: Object.fromEntries(Object.entries(disk).map(([k, v]) => [k, round(v, 1)])),
      diskHttpMs: Object.fromEntries(Object.entries(http).map(([k, v]) => [k, round(v, 1)])),
      memoryMs: Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, round(v, 1)])),
    },
  };
}
