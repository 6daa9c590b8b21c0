/** `fleetbench stop <runId>`: the same stop request as a second Ctrl+C, from any terminal. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { requestStop } from '../../app/stop-run.js';
import { isTerminal } from '../../core/controller-state.js';
import { globalOptions, runIdArgument, withEngine } from '../context.js';
import type { Io } from '../io.js';

/** How long `stop --wait` follows the run before giving up. */
const WAIT_LIMIT_MS = 10 * 60_000;

export function registerStopCommand(program: Command, io: Io): void {
  program
    .command('stop')
    .description('stop a run gracefully: cancel running workloads, run every teardown, end ABORTED')
    .argument('<runId>', 'the run to stop', runIdArgument)
    .option('--reason <text>', 'why, recorded with the request', 'stopped from the CLI')
    .option(
      '--force',
      'stop at once without teardown: kill the commands, end ABORTED (also cleans up after a dead engine)',
    )
    .option('--wait', 'wait until the run has ended and print its final state')
    .action(
      async (runId: string, opts: { reason: string; force?: boolean; wait?: boolean }, command: Command) => {
        await withEngine(io, globalOptions(command), async ({ deps }) => {
          const by = `cli:${userInfo().username}`;
          const entry = await deps.catalog.get(runId);
          // Opening the engine already stopped what a dead engine left running: that is all a forced
          // stop of an ended run can do, so it says so instead of failing.
          if (opts.force && entry && isTerminal(entry.state)) {
            io.out(`Run ${runId} already ended ${entry.state}; nothing of it is left running.\n`);
            return;
          }
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
          if (!opts.wait) return;
          const deadline = Date.now() + WAIT_LIMIT_MS;
          while (Date.now() < deadline) {
            const entry = await deps.catalog.get(runId);
            if (entry && isTerminal(entry.state)) {
              io.out(`Run ${runId} ended ${entry.state}${entry.reason ? `: ${entry.reason}` : ''}\n`);
              return;
            }
            await deps.clock.sleep(200);
          }
          io.err(`Run ${runId} has not ended yet; follow it with: fleetbench status ${runId}\n`);
        });
      },
    );
}
