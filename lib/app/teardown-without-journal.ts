/**
 * The last resort when the journal cannot be written (a full disk): the teardowns still run, straight through
 * the command runner, with nothing recorded. The workloads' teardowns (those whose steps ran in this
 * execution) first, then the global teardown, each on every host and bounded by the stop timeout, the same
 * commands run-command would send. The run stays as the journal last had it, so `resume` continues it once
 * the cause is fixed (and runs teardowns again as the plan says).
 */

import { commandIdFor } from '../core/command-id.js';
import type { CommandRunner } from '../core/ports.js';
import type { InvocationResult, RunMeta } from '../core/run.js';
import { planWorkloads } from '../core/workload-variants.js';
import { teardownScript } from './run-command.js';

export type TeardownWithoutJournalDeps = {
  readonly runner: CommandRunner;
  /** Resolves with the command's results once every host answered, or with what came within `timeoutMs`. */
  readonly awaitResults: (commandId: string, hosts: number, timeoutMs: number) => Promise<InvocationResult[]>;
};

/**
 * @example
 * const failed = await teardownWithoutJournal(deps, meta, ['cpu']); // ['a1.teardown.cpu on host-2: Failed']
 */
export async function teardownWithoutJournal(
  deps: TeardownWithoutJournalDeps,
  meta: RunMeta,
  startedWorkloads: readonly string[],
): Promise<string[]> {
  const excluded = new Set(meta.excludedHosts.map((e) => e.host.name));
  const hosts = meta.hosts.filter((h) => !excluded.has(h.name));
  const steps = [
    ...planWorkloads(meta.plan)
      .filter((w) => startedWorkloads.includes(w.name) && w.teardown.length > 0)
      .map((w) => ({
        commandId: commandIdFor({ attempt: meta.attempt, phase: 'teardown', workload: w.name }),
        lines: w.teardown,
        workload: w.name,
      })),
    ...(meta.plan.teardown.length > 0
      ? [
          {
            commandId: commandIdFor({ attempt: meta.attempt, phase: 'globalTeardown' }),
            lines: meta.plan.teardown,
            workload: undefined,
          },
        ]
      : []),
  ];
  const problems: string[] = [];
  for (const step of steps) {
    if (hosts.length === 0) break;
    const env = {
      ...meta.plan.env,
      FLEETBENCH_RUN_ID: meta.runId,
      FLEETBENCH_ATTEMPT: String(meta.attempt),
      FLEETBENCH_COMMAND_ID: step.commandId,
      ...(step.workload !== undefined ? { FLEETBENCH_WORKLOAD: step.workload } : {}),
    };
    const timeoutSeconds = meta.plan.timeouts.stop;
    const answered = deps.awaitResults(step.commandId, hosts.length, timeoutSeconds * 1000 + 5_000);
    await deps.runner.send({
      runId: meta.runId,
      commandId: step.commandId,
      phase: step.workload === undefined ? 'globalTeardown' : 'teardown',
      hosts,
      script: teardownScript(step.lines),
      env,
      hostEnv: Object.fromEntries(hosts.map((h) => [h.id, { FLEETBENCH_HOST: h.name }])),
      timeoutSeconds,
    });
    const results = await answered;
    for (const host of hosts) {
      const result = results.find((r) => r.hostId === host.id);
      if (result?.status !== 'Success')
        problems.push(`${step.commandId} on ${host.name}: ${result?.status ?? 'no answer'}`);
    }
  }
  return problems;
}
