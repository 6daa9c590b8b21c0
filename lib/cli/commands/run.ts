/** `fleetbench run <plan>` and `fleetbench resume <runId>`: an execution in the foreground. */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runnableStatuses } from '../../core/task-state.js';
import { globalOptions, runIdArgument, withEngine } from '../context.js';
import { executeRun } from '../execute-run.js';
import type { Io } from '../io.js';
import { readPlanFile } from '../plan-file.js';

export function registerRunCommand(program: Command, io: Io): void {
  program
    .command('run')
    .description('run a benchmark plan: setup, every workload and repetition on every host, teardown')
    .argument('<plan>', 'plan file (YAML or JSON), e.g. examples/quickstart.yaml')
    .option('--target <target>', 'where to run: local (embedded engine) or aws (deployed stack)', 'local')
    .option('--run-id <id>', 'use this run id instead of a generated one')
    .option('--json', 'print the final run as JSON (the `show --json` shape) instead of tables')
    .addHelpText(
      'after',
      '\nCtrl+C once warns, twice stops the run gracefully (teardown still runs), three times exits at once.\n' +
        'Exit codes: 0 every task completed, 1 the run had failures or did not finish, 2 invalid input.',
    )
    .action(
      async (
        planPath: string,
        opts: { target: string; runId?: string; json?: boolean },
        command: Command,
      ) => {
        if (opts.target !== 'local') {
          throw new UsageError(`target ${opts.target} is not available in this build`, {
            hint: 'use --target local',
          });
        }
        if (opts.runId !== undefined) runIdArgument(opts.runId);
        const plan = await readPlanFile(planPath, io.cwd);
        await withEngine(io, globalOptions(command), (engine) =>
          executeRun(
            io,
            engine,
            { plan, ...(opts.runId !== undefined ? { runId: opts.runId } : {}) },
            { json: opts.json === true },
          ),
        );
      },
    );
}

export function registerResumeCommand(program: Command, io: Io): void {
  program
    .command('resume')
    .description(
      'continue a run that failed, was stopped or whose engine died: completed and skipped tasks are not run again',
    )
    .argument('<runId>', 'the run to resume', runIdArgument)
    .option('--only-failed', 're-run only FAILED and CANCELLED tasks (not PENDING ones)')
    .option('--json', 'print the final run as JSON')
    .action(async (runId: string, opts: { onlyFailed?: boolean; json?: boolean }, command: Command) => {
      await withEngine(io, globalOptions(command), async (engine) => {
        const tasks = await engine.deps.journal.listTasks(runId);
        const runnable = runnableStatuses({ onlyFailed: opts.onlyFailed === true });
        const pending = tasks.filter((t) => runnable.includes(t.status)).length;
        const entry = await engine.deps.catalog.get(runId);
        // A run that ended any other way (killed engine, stop) still gets its teardowns run again.
        if (entry?.state === 'FINISHED' && pending === 0) {
          io.out(
            `Nothing to resume: run ${runId} has no ${opts.onlyFailed ? 'failed or cancelled' : 'pending, failed or cancelled'} task (${tasks.length} tasks, state ${entry.state}).\n`,
          );
          return;
        }
        await executeRun(
          io,
          engine,
          { resume: { runId, onlyFailed: opts.onlyFailed === true } },
          { json: opts.json === true },
        );
      });
    });
}
