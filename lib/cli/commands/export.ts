/**
 * `fleetbench export <runId> <dir>`: the run as deterministic files (plan, catalog entry, journal,
 * events, report, every task's stdout and stderr) — see lib/cli/run-export.ts for the layout.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { dataDirOf, globalOptions, runIdArgument, withEngine } from '../context.js';
import type { Io } from '../io.js';

export function registerExportCommand(program: Command, io: Io): void {
  program
    .command('export')
    .description(
      'write a run as files: plan.json, run.json, journal.json, events.jsonl, report.json and outputs/ (byte-identical on every export)',
    )
    .argument('<runId>', 'the run', runIdArgument)
    .argument('<dir>', 'a new or empty directory')
    .option('--force', 'replace a previous export in a non-empty directory (only the export’s own files)')
    .addHelpText('after', '\nLayout: docs/results.md')
    .action(async (runId: string, dir: string, opts: { force?: boolean }, command: Command) => {
      const options = globalOptions(command);
      const target = resolve(io.cwd, dir);
      // The export's report.json needs the statistics library: loaded when the command runs.
      const { exportRun } = await import('../run-export.js');
      const summary = await withEngine(io, options, ({ deps }) =>
        exportRun(deps, { runId, dir: target, dataDir: dataDirOf(io, options), force: opts.force === true }),
      );
      io.out(
        `Exported ${runId} to ${summary.dir}: ${summary.files} files, outputs of ${summary.tasksWithOutput} tasks\n`,
      );
    });
}
