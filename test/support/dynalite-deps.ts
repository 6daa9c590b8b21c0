/**
 * Deps for use-case tests: the real DynamoDB repositories over an in-memory dynalite, and recording
 * fakes for the ports a test wants to watch (callbacks, events, outputs, runner). Handler tests use
 * test/lambdas/fakes.ts's `fakeDeps` instead: every port a strict fake that fails on any call not set up.
 */
import type { CloudEvent } from '../../lib/core/cloudevents.js';
import type { Deps, TaskCallbacks } from '../../lib/core/ports.js';
import type { TestDynalite } from './dynalite.js';

export type Recorded = {
  readonly callbacks: { token: string; outcome: 'success' | 'failure'; detail: unknown }[];
  readonly events: CloudEvent[];
  readonly cancels: { commandId: string; hosts: string[] }[];
};

/**
 * @example
 * const { deps, recorded } = dynaliteDeps(db, { 's3://out/stdout': '42' });
 */
export function dynaliteDeps(
  db: TestDynalite,
  outputs: Record<string, string> = {},
  now = new Date('2026-11-23T10:00:00.000Z'),
): { deps: Deps; recorded: Recorded } {
  const recorded: Recorded = { callbacks: [], events: [], cancels: [] };
  const callbacks: TaskCallbacks = {
    success: async (token, output) => {
      recorded.callbacks.push({ token, outcome: 'success', detail: output });
    },
    failure: async (token, error, cause) => {
      recorded.callbacks.push({ token, outcome: 'failure', detail: { error, cause } });
    },
  };
  const deps: Deps = {
    journal: db.journal,
    catalog: db.catalog,
    runner: {
      send: async (request) => ({ providerIds: [request.commandId] }),
      cancel: async (command, hosts) => {
        recorded.cancels.push({ commandId: command.commandId, hosts: hosts.map((h) => h.id) });
      },
    },
    outputs: { read: async (ref) => outputs[ref] ?? '' },
    hosts: {
      resolve: async () => [],
      checkConnectivity: async (hosts) => ({ reachable: [...hosts], unreachable: [] }),
    },
    callbacks,
    events: {
      publish: async (events) => {
        recorded.events.push(...events);
      },
    },
    clock: { now: () => now, sleep: async () => undefined },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    target: 'local',
  };
  return { deps, recorded };
}
