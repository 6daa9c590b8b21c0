/** `fleetbench runs`: the catalog, newest first — the local engine's, or the deployed stack's with `--target aws`. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { countByStatus } from '../../core/task-state.js';
import { addTargetOptions, withBackend } from '../backend.js';
import type { Io } from '../io.js';
import { stateLabel } from './show.js';

export function registerRunsCommand(program: Command, io: Io): void {
  addTargetOptions(program.command('runs'))
    .description('list runs, newest first')
    .option('--limit <n>', 'how many runs to list', '20')
    .option('--json', 'print [{runId, name, state, createdAt, finishedAt, counts}] as JSON')
    .action(async (opts: { limit: string; json?: boolean }, command: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`--limit must be a positive integer, got "${opts.limit}"`);
      await withBackend(io, command, async ({ store: deps }) => {
        const entries = await deps.catalog.list({ limit });
        // Counts of a run in progress come from its journal; the catalog's are refreshed per step.
        const runs = await Promise.all(
          entries.map(async (e) => ({
            runId: e.runId,
            name: e.name,
            state: e.state,
            target: e.target,
            createdAt: e.createdAt,
            finishedAt: e.finishedAt ?? null,
            counts: e.finishedAt ? e.counts : countByStatus(await deps.journal.listTasks(e.runId)),
          })),
        );
        if (opts.json) {
          io.out(`${JSON.stringify(runs, null, 2)}\n`);
          return;
        }
        if (runs.length === 0) {
          io.out('No runs yet. Start one with: fleetbench run examples/quickstart.yaml\n');
          return;
        }
        const { table } = await import('../table.js');
        io.out(
          table(
            ['RUN ID', 'NAME', 'STATE', 'CREATED', 'DONE', 'FAILED'],
            runs.map((r) => {
              const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
              return [
                r.runId,
                r.name,
                stateLabel(io, r.state),
                r.createdAt.replace('T', ' ').slice(0, 19),
                `${r.counts.completed}/${total}`,
                String(r.counts.failed),
              ];
            }),
          ),
        );
      });
    });
}
