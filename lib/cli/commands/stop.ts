/**
 * `fleetbench stop <runId>`: the same stop request as a second Ctrl+C, from any terminal. Locally it is
 * recorded in the catalog, where the engine picks it up; with `--target aws` it is the `Stop Requested`
 * event on the stack's bus, which the stop-run function records (once) and acts on.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { requestStop } from '../../app/stop-run.js';
import { isTerminal } from '../../core/controller-state.js';
import type { CatalogEntry } from '../../core/run.js';
import { assertStoppable, replacesStopRequest } from '../../core/stop-rule.js';
import { type AwsBackend, addTargetOptions, type RunStore, withBackend } from '../backend.js';
import { runIdArgument } from '../context.js';
import type { Io } from '../io.js';

type StopOptions = { reason: string; force?: boolean; wait?: boolean };

/** How long `stop --wait` follows the run before giving up. */
const WAIT_LIMIT_MS = 10 * 60_000;

export function registerStopCommand(program: Command, io: Io): void {
  addTargetOptions(
    program
      .command('stop')
      .description('stop a run gracefully: cancel running workloads, run every teardown, end ABORTED')
      .argument('<runId>', 'the run to stop', runIdArgument),
  )
    .option('--reason <text>', 'why, recorded with the request', 'stopped from the CLI')
    .option(
      '--force',
      'stop at once without teardown: kill the commands, end ABORTED (also cleans up after a dead engine)',
    )
    .option('--wait', 'wait until the run has ended and print its final state')
    .action(async (runId: string, opts: StopOptions, command: Command) => {
      await withBackend(io, command, async (backend) => {
        const by = `cli:${userInfo().username}`;
        const entry = await backend.store.catalog.get(runId);
        // Opening the engine (or the reconciler on aws) already stopped what a dead engine left running:
        // that is all a forced stop of an ended run can do, so it says so instead of failing.
        if (opts.force && entry && isTerminal(entry.state)) {
          io.out(`Run ${runId} already ended ${entry.state}; nothing of it is left running.\n`);
          return;
        }
        if (backend.target === 'aws') {
          await stopOnAws(io, backend, runId, entry, opts, by);
        } else {
          const { deps } = backend.engine;
          const { recorded, request } = await requestStop(deps, {
            runId,
            requestedBy: by,
            reason: opts.reason,
            force: opts.force === true,
          });
          if (recorded) {
            io.out(
              `Stop requested for run ${runId}${opts.force ? ' (force)' : ''}: the engine cancels the workloads${opts.force ? '' : ' and runs the teardowns'}.\n`,
            );
          } else {
            io.out(
              `A stop was already requested for run ${runId} at ${request.requestedAt} by ${request.requestedBy}; nothing changed.\n`,
            );
          }
        }
        if (opts.wait)
          await waitForEnd(io, backend.store, runId, backend.target === 'aws' ? backend.pollMs : 200);
      });
    });
}

async function waitForEnd(io: Io, store: RunStore, runId: string, pollMs: number): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (Date.now() < deadline) {
    const entry = await store.catalog.get(runId);
    if (entry && isTerminal(entry.state)) {
      io.out(`Run ${runId} ended ${entry.state}${entry.reason ? `: ${entry.reason}` : ''}\n`);
      return;
    }
    await store.clock.sleep(pollMs);
  }
  io.err(`Run ${runId} has not ended yet; follow it with: fleetbench status ${runId}\n`);
}

/**
 * Checks the run by the stop rule requestStop applies, then puts the request on the bus; the stop-run
 * function records it once. `--force` also stops the execution at once.
 */
async function stopOnAws(
  io: Io,
  backend: AwsBackend,
  runId: string,
  entry: CatalogEntry | undefined,
  opts: StopOptions,
  by: string,
): Promise<void> {
  const { stack } = backend;
  assertStoppable(runId, entry, 'aws');
  const force = opts.force === true;
  const previous = entry.stopRequest;
  const standing = previous !== undefined && !replacesStopRequest(previous, { force });
  if (!standing) await stack.requestStop({ runId, requestedBy: by, reason: opts.reason, force });
  if (force && stack.executions.owns(entry.executionArn)) {
    await stack.executions.stop(entry.executionArn, `force-stopped by ${by}: ${opts.reason}`);
  }
  if (standing) {
    io.out(
      `A stop was already requested for run ${runId} at ${previous.requestedAt} by ${previous.requestedBy}; nothing changed.\n`,
    );
    return;
  }
  io.out(
    `Stop requested for run ${runId}${force ? ' (force)' : ''}: the stack ${force ? 'stops the execution and cancels the workloads' : 'cancels the workloads and runs the teardowns'}.\n`,
  );
}
