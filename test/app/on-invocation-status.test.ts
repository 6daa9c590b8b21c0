import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { type PlanRunOutput, planRun } from '../../lib/app/plan-run.js';
import { runCommand } from '../../lib/app/run-command.js';
import type { InvocationResult, InvocationStatus } from '../../lib/core/run.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { dynaliteDeps } from '../support/dynalite-deps.js';

const HOSTS = ['host-1', 'host-2', 'host-3'];
const PLAN = {
  name: 'events',
  hosts: { local: HOSTS },
  workloads: [{ name: 'w', plugin: 'shell', options: { command: 'bench' } }],
};

let db: TestDynalite;
let runs = 0;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/** A run whose first repetition is in flight on three hosts, as run-command leaves it. */
async function runInFlight() {
  runs += 1;
  const runId = `events-20261123-100000-${runs.toString(36).padStart(4, '0')}`;
  const outputs = Object.fromEntries(HOSTS.map((h, i) => [`out/${h}`, `noise\n{"value": ${i + 1}}\n`]));
  const { deps, recorded } = dynaliteDeps(db, outputs);
  const hosts = {
    resolve: async () => HOSTS.map((h) => ({ id: h, name: h })),
    checkConnectivity: async (hs: readonly { id: string; name: string }[]) => ({
      reachable: [...hs],
      unreachable: [],
    }),
  };
  const full = { ...deps, hosts };
  const planned: PlanRunOutput = await planRun(full, { plan: PLAN, runId });
  await runCommand(full, { runId, phase: 'globalSetup', taskToken: 'setup' });
  recorded.callbacks.splice(0);
  await runCommand(full, { runId, phase: 'repetition', workload: 'w', rep: 1, taskToken: 'token-1' });
  return { runId, deps: full, recorded, planned };
}

const terminal: InvocationStatus[] = ['Success', 'Failed', 'TimedOut', 'Cancelled'];

function result(runId: string, host: string, status: InvocationStatus): InvocationResult {
  return {
    runId,
    commandId: 'a1.repetition.w.1',
    hostId: host,
    status,
    ...(status === 'Success' || status === 'Failed' ? { exitCode: status === 'Success' ? 0 : 3 } : {}),
    startedAt: '2026-11-23T10:00:01.000Z',
    finishedAt: '2026-11-23T10:00:03.500Z',
    stdoutRef: `out/${host}`,
  };
}

/** The journal as the property compares it: everything but the run id. */
async function snapshot(runId: string) {
  const tasks = (await db.journal.listTasks(runId)).map(({ seed: _seed, ...t }) => t);
  const command = await db.journal.getCommand(runId, 'a1.repetition.w.1');
  return { tasks, outcomes: command?.outcomes, status: command?.status };
}

describe('Use case: onInvocationStatus', () => {
  it('gives the same journal for any order and any duplication of status events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...HOSTS.map(() => fc.constantFrom(...terminal))),
        fc.tuple(...HOSTS.map(() => fc.integer({ min: 1, max: 3 }))),
        fc.boolean(),
        fc.infiniteStream(fc.nat()),
        async (statuses, copies, withProgressEvents, shuffleSeed) => {
          const reference = await runInFlight();
          for (const [i, h] of HOSTS.entries()) {
            await onInvocationStatus(reference.deps, result(reference.runId, h, statuses[i] ?? 'Success'));
          }
          const subject = await runInFlight();
          const events = HOSTS.flatMap((h, i) => {
            const final = Array.from({ length: copies[i] ?? 1 }, () =>
              result(subject.runId, h, statuses[i] ?? 'Success'),
            );
            return withProgressEvents ? [...final, { ...result(subject.runId, h, 'InProgress') }] : final;
          });
          const order = shuffle(events, shuffleSeed);
          for (const e of order) await onInvocationStatus(subject.deps, e);

          expect(await snapshot(subject.runId)).toEqual(await snapshot(reference.runId));
          expect(subject.recorded.callbacks).toEqual(reference.recorded.callbacks);
          expect(subject.recorded.callbacks).toHaveLength(1);
          const taskEvents = (r: typeof subject) =>
            r.recorded.events.filter((e) => e.type.startsWith('dev.fleetbench.task.'));
          expect(taskEvents(subject)).toHaveLength(3);
          expect(
            taskEvents(subject)
              .map((e) => e.type)
              .sort(),
          ).toEqual(
            taskEvents(reference)
              .map((e) => e.type)
              .sort(),
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it('records each host once when the same events arrive concurrently', async () => {
    const run = await runInFlight();
    const all = HOSTS.flatMap((h) => [1, 2, 3].map(() => result(run.runId, h, 'Success')));

    const outcomes = await Promise.all(all.map((r) => onInvocationStatus(run.deps, r)));

    expect(outcomes.filter((o) => o === 'step-completed')).toHaveLength(1);
    expect(run.recorded.callbacks).toEqual([
      { token: 'token-1', outcome: 'success', detail: { commandId: 'a1.repetition.w.1', failedHosts: [] } },
    ]);
    const tasks = await db.journal.listTasks(run.runId);
    expect(tasks.map((t) => [t.status, t.metrics])).toEqual(
      HOSTS.map((_, i) => ['COMPLETED', [{ name: 'value', value: i + 1, unit: '' }]]),
    );
  });

  it('completes the step when the last result is delivered again after its count was lost', async () => {
    const run = await runInFlight();
    for (const h of HOSTS.slice(0, 2)) await onInvocationStatus(run.deps, result(run.runId, h, 'Success'));
    // The process recording host-3 died after writing its task result, before counting the answer.
    const lost = result(run.runId, 'host-3', 'Success');
    await db.journal.recordTaskResult(run.runId, {
      workload: 'w',
      rep: 1,
      host: 'host-3',
      status: 'COMPLETED',
      commandId: lost.commandId,
    });
    expect(run.recorded.callbacks).toEqual([]);

    expect(await onInvocationStatus(run.deps, lost)).toBe('step-completed');
    expect(await onInvocationStatus(run.deps, lost)).toBe('duplicate');

    expect(run.recorded.callbacks).toEqual([
      { token: 'token-1', outcome: 'success', detail: { commandId: 'a1.repetition.w.1', failedHosts: [] } },
    ]);
    expect((await db.journal.getCommand(run.runId, lost.commandId))?.status).toBe('DONE');
  });

  it('moves the catalog counts as the step closes, without reading the run back', async () => {
    const run = await runInFlight();
    const statuses: InvocationStatus[] = ['Success', 'Failed', 'Success'];

    for (const [i, h] of HOSTS.entries())
      await onInvocationStatus(run.deps, result(run.runId, h, statuses[i] ?? 'Success'));

    expect((await db.catalog.get(run.runId))?.counts).toStrictEqual({
      pending: 0,
      running: 0,
      completed: 2,
      failed: 1,
      skipped: 0,
      cancelled: 0,
    });
  });

  it('records the refs the output store kept the output under, and parses what they hold', async () => {
    // Prepare: outputs held by the runner for a while only (`held:`), kept by the store as `kept:`.
    const run = await runInFlight();
    const kept: InvocationResult[] = [];
    const outputs = {
      read: async (ref: string) => (ref.startsWith('kept:') ? `{"value": 7}\n` : ''),
      keep: async (r: InvocationResult) => {
        kept.push(r);
        return {
          stdoutRef: `kept:${r.commandId}/${r.hostId}/stdout`,
          stderrRef: `kept:${r.commandId}/${r.hostId}/stderr`,
        };
      },
    };
    const deps = { ...run.deps, outputs };
    const held = (r: InvocationResult) => ({ ...r, stdoutRef: 'held:out', stderrRef: 'held:err' });

    // Act
    await onInvocationStatus(deps, held(result(run.runId, 'host-1', 'Success')));

    // Assess
    const task = (await db.journal.listTasks(run.runId)).find((t) => t.host === 'host-1');
    expect(task).toMatchObject({ status: 'COMPLETED', outputRef: 'kept:a1.repetition.w.1/host-1/stdout' });
    expect(task?.metrics).toEqual([{ name: 'value', value: 7, unit: '' }]);
    expect(kept.map((r) => r.stdoutRef)).toEqual(['held:out']);
  });

  it('records a result whose output could not be kept, with an error logged', async () => {
    const run = await runInFlight();
    const errors: string[] = [];
    const deps = {
      ...run.deps,
      outputs: {
        read: run.deps.outputs.read,
        keep: async () => {
          throw new Error('ThrottlingException');
        },
      },
      logger: { ...run.deps.logger, error: (message: string) => errors.push(message) },
    };

    expect(await onInvocationStatus(deps, result(run.runId, 'host-1', 'Success'))).toBe('recorded');

    const task = (await db.journal.listTasks(run.runId)).find((t) => t.host === 'host-1');
    expect(task).toMatchObject({ status: 'COMPLETED', outputRef: 'out/host-1' });
    expect(errors).toEqual(['could not keep a host output']);
  });

  it('ignores a status for an unknown command, and a non-terminal status', async () => {
    const run = await runInFlight();

    expect(
      await onInvocationStatus(run.deps, { ...result(run.runId, 'host-1', 'Success'), commandId: 'a9.nope' }),
    ).toBe('ignored');
    expect(await onInvocationStatus(run.deps, result(run.runId, 'host-1', 'InProgress'))).toBe('ignored');
    expect((await db.journal.listTasks(run.runId)).every((t) => t.status === 'RUNNING')).toBe(true);
  });
});

/** A deterministic Fisher–Yates driven by fast-check's stream, so failures shrink and replay. */
function shuffle<T>(items: readonly T[], stream: fc.Stream<number>): T[] {
  const out = [...items];
  const it = stream[Symbol.iterator]();
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = (it.next().value as number) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
