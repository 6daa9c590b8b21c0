import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRun } from '../../lib/app/plan-run.js';
import { runCommand } from '../../lib/app/run-command.js';
import {
  type TeardownWithoutJournalDeps,
  teardownWithoutJournal,
} from '../../lib/app/teardown-without-journal.js';
import type { CommandRequest, Deps } from '../../lib/core/ports.js';
import type { InvocationResult, InvocationStatus, RunMeta } from '../../lib/core/run.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { dynaliteDeps } from '../support/dynalite-deps.js';
import { plannedRun } from '../support/planned-run.js';

let db: TestDynalite;
let runs = 0;

beforeAll(async () => {
  db = await startTestDynalite();
});
afterAll(async () => db.stop());

/** Three workloads (one without a teardown), a global teardown, and a stop timeout far below the task's. */
const PLAN = {
  name: 'teardowns',
  hosts: { local: ['host-1', 'host-2', 'host-3'] },
  timeouts: { task: '10m', stop: '7s' },
  env: { SCRATCH: '/var/tmp/bench' },
  teardown: ['rm -rf "$SCRATCH"'],
  workloads: [
    { name: 'cpu', plugin: 'shell', options: { command: 'bench cpu' }, teardown: ['rm -rf cpu-scratch'] },
    { name: 'disk', plugin: 'shell', options: { command: 'bench disk' }, teardown: ['rm -rf disk-scratch'] },
    { name: 'net', plugin: 'shell', options: { command: 'bench net' } },
  ],
};

/** PLAN planned on dynalite with host-3 unreachable; returns the META the journal keeps and the deps. */
async function plannedMeta(): Promise<{ meta: RunMeta; deps: Deps; sent: CommandRequest[] }> {
  runs += 1;
  const runId = `teardowns-20261123-100000-${runs.toString(36).padStart(4, '0')}`;
  const sent: CommandRequest[] = [];
  const base = dynaliteDeps(db).deps;
  const deps: Deps = {
    ...base,
    hosts: {
      resolve: async () => PLAN.hosts.local.map((h) => ({ id: h, name: h })),
      checkConnectivity: async (hosts) => ({
        reachable: hosts.filter((h) => h.name !== 'host-3'),
        unreachable: hosts
          .filter((h) => h.name === 'host-3')
          .map((host) => ({ host, reason: 'agent offline' })),
      }),
    },
    runner: {
      ...base.runner,
      send: async (request) => {
        sent.push(request);
        return { providerIds: [] };
      },
    },
  };
  await planRun(deps, { runId, plan: PLAN });
  const meta = await deps.journal.getRun(runId);
  if (meta === undefined) throw new Error(`run ${runId} has no META`);
  return { meta, deps, sent };
}

/**
 * A fleet that answers each command once it is sent, as `answer` says per host (undefined: the host never
 * answers, so the wait ends with what came). Records what was sent, what was awaited, and which commands had
 * been answered when each command was sent.
 */
function fleet(answer: (commandId: string, host: string) => InvocationStatus | undefined = () => 'Success') {
  const sent: { request: CommandRequest; answeredBefore: string[] }[] = [];
  const waits: { commandId: string; hosts: number; timeoutMs: number }[] = [];
  const answered: string[] = [];
  const results = new Map<string, InvocationResult[]>();
  const waiting = new Map<string, () => void>();
  const deps: TeardownWithoutJournalDeps = {
    runner: {
      send: async (request) => {
        sent.push({ request, answeredBefore: [...answered] });
        const came = request.hosts.flatMap((host) => {
          const status = answer(request.commandId, host.name);
          return status === undefined
            ? []
            : [{ runId: request.runId, commandId: request.commandId, hostId: host.id, status }];
        });
        // The hosts answer after the send returned, as a real runner's do.
        queueMicrotask(() => {
          results.set(request.commandId, came);
          answered.push(request.commandId);
          waiting.get(request.commandId)?.();
        });
        return { providerIds: [] };
      },
      cancel: async () => undefined,
    },
    awaitResults: (commandId, hosts, timeoutMs) => {
      waits.push({ commandId, hosts, timeoutMs });
      return new Promise((resolve) => {
        const done = () => resolve(results.get(commandId) ?? []);
        if (results.has(commandId)) done();
        else waiting.set(commandId, done);
      });
    },
  };
  return { deps, sent, waits };
}

describe('Use case: teardownWithoutJournal', () => {
  it('tears down the started workloads in plan order, then runs the global teardown, leaving the excluded host out', async () => {
    // Prepare: net (no teardown) and cpu started, disk did not; host-3 was unreachable
    const { meta } = await plannedMeta();
    const hosts = fleet();

    // Act
    const problems = await teardownWithoutJournal(hosts.deps, meta, ['net', 'cpu']);

    // Assess
    expect(problems).toEqual([]);
    expect(hosts.sent.map((s) => [s.request.commandId, s.request.phase])).toEqual([
      ['a1.teardown.cpu', 'teardown'],
      ['a1.globalTeardown', 'globalTeardown'],
    ]);
    for (const { request } of hosts.sent)
      expect(request.hosts.map((h) => h.name)).toEqual(['host-1', 'host-2']);
    expect(hosts.waits.map((w) => [w.commandId, w.hosts])).toEqual([
      ['a1.teardown.cpu', 2],
      ['a1.globalTeardown', 2],
    ]);
  });

  it('sends each teardown only once the hosts answered the one before', async () => {
    const { meta } = await plannedMeta();
    const hosts = fleet();

    await teardownWithoutJournal(hosts.deps, meta, ['cpu', 'disk']);

    expect(hosts.sent.map((s) => [s.request.commandId, s.answeredBefore])).toEqual([
      ['a1.teardown.cpu', []],
      ['a1.teardown.disk', ['a1.teardown.cpu']],
      ['a1.globalTeardown', ['a1.teardown.cpu', 'a1.teardown.disk']],
    ]);
  });

  it('sends the commands run-command sends for those teardowns, bounded by the stop timeout', async () => {
    // Prepare: what run-command sends for cpu's teardown and the global teardown of the same run
    const { meta, deps, sent } = await plannedMeta();
    const { runId } = meta;
    await runCommand(deps, { runId, phase: 'globalSetup', taskToken: 'setup' });
    await runCommand(deps, { runId, phase: 'repetition', workload: 'cpu', rep: 1, taskToken: 'rep' });
    await runCommand(deps, { runId, phase: 'teardown', workload: 'cpu', taskToken: 'teardown' });
    await runCommand(deps, { runId, phase: 'globalTeardown', taskToken: 'global-teardown' });
    const byRunCommand = sent.filter((r) => r.phase === 'teardown' || r.phase === 'globalTeardown');
    const hosts = fleet();

    // Act
    await teardownWithoutJournal(hosts.deps, meta, ['cpu']);

    // Assess
    expect(byRunCommand.map((r) => r.commandId)).toEqual(['a1.teardown.cpu', 'a1.globalTeardown']);
    expect(byRunCommand.map((r) => r.timeoutSeconds)).toEqual([600, 600]);
    expect(hosts.sent.map((s) => s.request)).toEqual(byRunCommand.map((r) => ({ ...r, timeoutSeconds: 7 })));
    // The wait outlasts the command's own timeout a little, so the hosts' answers to its end still count.
    expect(hosts.waits.map((w) => w.timeoutMs)).toEqual([12_000, 12_000]);
  });

  it('reports, per step, every host that did not succeed or did not answer', async () => {
    // Prepare: host-1 fails cpu's teardown; host-2 times out on disk's and never answers the global one
    const { meta } = await plannedMeta();
    const hosts = fleet((commandId, host) => {
      if (commandId === 'a1.teardown.cpu' && host === 'host-1') return 'Failed';
      if (commandId === 'a1.teardown.disk' && host === 'host-2') return 'TimedOut';
      if (commandId === 'a1.globalTeardown' && host === 'host-2') return undefined;
      return 'Success';
    });

    // Act
    const problems = await teardownWithoutJournal(hosts.deps, meta, ['cpu', 'disk']);

    // Assess
    expect(problems).toEqual([
      'a1.teardown.cpu on host-1: Failed',
      'a1.teardown.disk on host-2: TimedOut',
      'a1.globalTeardown on host-2: no answer',
    ]);
  });

  it('runs only the global teardown when no workload started', async () => {
    const { meta } = await plannedMeta();
    const hosts = fleet();

    await teardownWithoutJournal(hosts.deps, meta, []);

    expect(hosts.sent.map((s) => s.request.commandId)).toEqual(['a1.globalTeardown']);
  });

  it('runs no global teardown for a plan without one', async () => {
    // Prepare: plannedRun's plan has a workload teardown only
    const run = await plannedRun(db, 'lockstep');
    const meta = await run.deps.journal.getRun(run.runId);
    if (meta === undefined) throw new Error('planned run has no META');
    const hosts = fleet();

    // Act
    const problems = await teardownWithoutJournal(hosts.deps, meta, ['w']);

    // Assess
    expect(problems).toEqual([]);
    expect(hosts.sent.map((s) => s.request.commandId)).toEqual(['a1.teardown.w']);
  });

  it('sends nothing when every host was excluded', async () => {
    // Prepare: the run's only reachable hosts are excluded too
    const { meta } = await plannedMeta();
    const allExcluded: RunMeta = {
      ...meta,
      excludedHosts: meta.hosts.map((host) => ({ host, reason: 'agent offline' })),
    };
    const hosts = fleet();

    // Act
    const problems = await teardownWithoutJournal(hosts.deps, allExcluded, ['cpu']);

    // Assess
    expect(problems).toEqual([]);
    expect(hosts.sent).toEqual([]);
  });
});
