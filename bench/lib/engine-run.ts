/**
 * Runs a plan through the full local engine — run.asl.json in aws-local-stepfunctions, the DynamoDB
 * journal on dynalite, host workers — in a fresh data directory, as `fleetbench run` does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogEntry } from '../../lib/core/run.js';
import { LocalEngine } from '../../lib/engine/local-engine.js';

export type RequestCount = { count: number; ms: number; items: number };

export type EngineRun = {
  /** engine.start(...) to done. */
  readonly ms: number;
  /** LocalEngine.open: dynalite start and tables. */
  readonly openMs: number;
  /** CPU time of this process during the run (engine, interpreter, dynalite; not the host workers). */
  readonly cpuMs: number;
  readonly final: CatalogEntry;
  /** DynamoDB requests the engine made, by operation (Queries by key prefix), when `countRequests` is set. */
  readonly requests?: Record<string, RequestCount>;
};

/** A plan of `reps` repetitions of one shell command on `hosts` local hosts. */
export function shellPlan(name: string, hosts: number, reps: number, command: string, extra: object = {}) {
  return {
    name,
    hosts: { local: hosts },
    repetitions: reps,
    workloads: [{ name: 'noop', plugin: 'shell', options: { command }, ...extra }],
  };
}

/** `GetItem`, or for a Query what it reads: `Query TASK# (whole run)`, `Query TASK#<w>#<rep>#`, `Query CMD#`. */
function requestName(command: string, input: unknown): string {
  const name = command.replace(/Command$/, '');
  if (name !== 'Query') return name;
  const prefix = (input as { ExpressionAttributeValues?: Record<string, unknown> })
    .ExpressionAttributeValues?.[':prefix'];
  if (typeof prefix !== 'string') return name;
  if (prefix === 'TASK#') return 'Query TASK# (whole run)';
  return prefix.startsWith('TASK#') ? 'Query TASK# (one repetition)' : `Query ${prefix}`;
}

export async function withDataDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetbench-bench-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runEngine(plan: object, options: { countRequests?: boolean } = {}): Promise<EngineRun> {
  return withDataDir(async (dataDir) => {
    const opened = performance.now();
    const engine = await LocalEngine.open({ dataDir });
    const openMs = performance.now() - opened;
    const requests: Record<string, RequestCount> = {};
    if (options.countRequests) {
      engine.db.client.middlewareStack.add(
        (next, context) => async (args) => {
          const start = performance.now();
          const out = await next(args);
          const name = requestName(String(context.commandName ?? 'unknown'), args.input);
          const entry = requests[name] ?? { count: 0, ms: 0, items: 0 };
          entry.count += 1;
          entry.ms += performance.now() - start;
          entry.items += (out.output as { Items?: unknown[] }).Items?.length ?? 0;
          requests[name] = entry;
          return out;
        },
        { step: 'initialize', name: 'benchRequestCounter' },
      );
    }
    try {
      const cpu = process.cpuUsage();
      const start = performance.now();
      const final = await engine.start({ plan }).done;
      const ms = performance.now() - start;
      const used = process.cpuUsage(cpu);
      return {
        ms,
        openMs,
        cpuMs: (used.user + used.system) / 1000,
        final,
        ...(options.countRequests ? { requests } : {}),
      };
    } finally {
      await engine.close();
    }
  });
}
