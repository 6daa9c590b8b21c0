/**
 * `fleetbench run <plan>` and `fleetbench resume <runId>`: an execution in the foreground — in the embedded
 * engine, or with `--target aws` as an execution of the deployed stack, followed from here (or not, with
 * `--detach`). What reads and checks a plan (the schema, zod, yaml) is imported when the command runs, not for `--help`.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runnableStatuses } from '../../core/task-state.js';
import { assertAwsHosts, executeAwsRun } from '../aws-run.js';
import { addTargetOptions, type TargetOptions, targetOf, withBackend } from '../backend.js';
import { runIdArgument } from '../context.js';
import { executeRun } from '../execute-run.js';
import type { Io } from '../io.js';

const DETACH_HELP = 'with --target aws: print the run id and return; the run goes on in the stack';

/** A local run lives in this process: it cannot be left running. */
function refuseLocalDetach(detach: boolean | undefined): void {
  if (detach) {
    throw new UsageError('--detach needs --target aws', {
      hint: 'a local run lives in this process: start it in another terminal instead',
    });
  }
}

export function registerRunCommand(program: Command, io: Io): void {
  addTargetOptions(
    program
      .command('run')
      .description('run a benchmark plan: setup, every workload and repetition on every host, teardown')
      .argument('<plan>', 'plan file (YAML or JSON), e.g. examples/quickstart.yaml'),
  )
    .option('--run-id <id>', 'use this run id instead of a generated one')
    .option('--json', 'print the final run as JSON (the `show --json` shape) instead of tables')
    .option('--detach', DETACH_HELP)
    .option(
      '--keep-hosts',
      'aws, hosts: {provision}: leave the instances fleetbench launched running after the run (they cost money)',
    )
    .addHelpText(
      'after',
      '\nCtrl+C once warns, twice stops the run gracefully (teardown still runs), three times exits at once.\n' +
        'Exit codes: 0 every task completed, 1 the run had failures or did not finish, 2 invalid input,\n' +
        '130 stopped with Ctrl+C (fleetbench ends by SIGINT), 141 stdout closed by its reader.\n' +
        'Progress on a pipe: a line at each step and every 30s (FLEETBENCH_PROGRESS_INTERVAL).',
    )
    .action(
      async (
        planPath: string,
        opts: TargetOptions & { runId?: string; json?: boolean; detach?: boolean; keepHosts?: boolean },
        command: Command,
      ) => {
        const target = targetOf(io, opts);
        if (target === 'local') refuseLocalDetach(opts.detach);
        if (opts.runId !== undefined) runIdArgument(opts.runId);
        const [{ readPlanFile }, { assertHistoryBudget }] = await Promise.all([
          import('../plan-file.js'),
          import('../../core/projection/history-budget.js'),
        ]);
        const plan = await readPlanFile(planPath, io.cwd);
        // A plan that cannot fit one Step Functions execution is refused before anything starts (as validate does).
        assertHistoryBudget(plan, planPath);
        // Checked before the stack is reached: an invalid plan makes no AWS call.
        if (target === 'aws') assertAwsHosts(plan);
        const input = {
          plan,
          ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
          ...(opts.keepHosts ? { keepHosts: true } : {}),
        };
        await withBackend(io, command, (backend) =>
          backend.target === 'aws'
            ? executeAwsRun(io, backend, input, { json: opts.json === true, detach: opts.detach === true })
            : executeRun(io, backend.engine, input, { json: opts.json === true }),
        );
      },
    );
}

export function registerResumeCommand(program: Command, io: Io): void {
  addTargetOptions(
    program
      .command('resume')
      .description(
        'continue a run that failed, was stopped or whose engine died: completed and skipped tasks are not run again',
      )
      .argument('<runId>', 'the run to resume', runIdArgument),
  )
    .option('--only-failed', 're-run only FAILED and CANCELLED tasks (not PENDING ones)')
    .option('--json', 'print the final run as JSON')
    .option('--detach', DETACH_HELP)
    .action(
      async (
        runId: string,
        opts: TargetOptions & { onlyFailed?: boolean; json?: boolean; detach?: boolean },
        command: Command,
      ) => {
        if (targetOf(io, opts) === 'local') refuseLocalDetach(opts.detach);
        await withBackend(io, command, async (backend) => {
          const tasks = await backend.store.journal.listTasks(runId);
          const runnable = runnableStatuses({ onlyFailed: opts.onlyFailed === true });
          const pending = tasks.filter((t) => runnable.includes(t.status)).length;
          const entry = await backend.store.catalog.get(runId);
          // A run that ended any other way (killed engine, stop) still gets its teardowns run again.
          if (entry?.state === 'FINISHED' && pending === 0) {
            io.out(
              `Nothing to resume: run ${runId} has no ${opts.onlyFailed ? 'failed or cancelled' : 'pending, failed or cancelled'} task (${tasks.length} tasks, state ${entry.state}).\n`,
            );
            return;
          }
          const resume = { resume: { runId, onlyFailed: opts.onlyFailed === true } };
          if (backend.target === 'aws') {
            await executeAwsRun(io, backend, resume, {
              json: opts.json === true,
              detach: opts.detach === true,
            });
            return;
          }
          await executeRun(io, backend.engine, resume, { json: opts.json === true });
        });
      },
    );
}
