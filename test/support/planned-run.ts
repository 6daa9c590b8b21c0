/**
 * A run planned by the real planRun on dynalite, its global setup sent: where use-case tests start from.
 * The hosts are local names that every connectivity check reaches; every command sent is recorded.
 */
import { planRun } from '../../lib/app/plan-run.js';
import { runCommand } from '../../lib/app/run-command.js';
import type { CommandRequest, Deps } from '../../lib/core/ports.js';
import type { TestDynalite } from './dynalite.js';
import { dynaliteDeps, type Recorded } from './dynalite-deps.js';

export const HOSTS = ['host-1', 'host-2', 'host-3'];

let runs = 0;

export type PlannedRun = {
  readonly runId: string;
  readonly planned: Awaited<ReturnType<typeof planRun>>;
  readonly sent: CommandRequest[];
  readonly deps: Deps;
  readonly recorded: Recorded;
};

/**
 * @example
 * const { runId, deps, sent } = await plannedRun(db, 'lockstep', { failFast: true });
 */
export async function plannedRun(
  db: TestDynalite,
  strategy: 'lockstep' | 'free',
  failurePolicy: { failFast?: boolean; maxFailedPercent?: number } = {},
  options: { globalSetup?: boolean } = {},
): Promise<PlannedRun> {
  runs += 1;
  const runId = `${strategy}-20261123-100000-${runs.toString(36).padStart(4, '0')}`;
  const { deps, recorded } = dynaliteDeps(db);
  const sent: CommandRequest[] = [];
  const full: Deps = {
    ...deps,
    hosts: {
      resolve: async () => HOSTS.map((h) => ({ id: h, name: h })),
      checkConnectivity: async (hs) => ({ reachable: [...hs], unreachable: [] }),
    },
    runner: {
      ...deps.runner,
      send: async (request) => {
        sent.push(request);
        return { providerIds: [request.commandId] };
      },
    },
  };
  const planned = await planRun(full, {
    runId,
    plan: {
      name: strategy,
      hosts: { local: HOSTS },
      strategy,
      repetitions: 2,
      failurePolicy,
      workloads: [
        { name: 'w', plugin: 'shell', options: { command: 'bench' }, teardown: ['rm -rf scratch'] },
      ],
    },
  });
  if (options.globalSetup !== false)
    await runCommand(full, { runId, phase: 'globalSetup', taskToken: 'setup' });
  return { runId, planned, sent, deps: full, recorded };
}
