/**
 * `fleetbench validate <plan>`: a dry run — the plan's errors, or what it would run, how long it may take,
 * the Step Functions history it would record and what it would cost on aws (validate-plan.ts, imported
 * when the command runs: the plan schema and the projections are not loaded for `--help`).
 */
import type { Command } from 'commander';
import type { Io } from '../io.js';

export function registerValidateCommand(program: Command, io: Io): void {
  program
    .command('validate')
    .description(
      'check a plan without running it: errors with file:line:column, or the task count, a duration estimate, the projected Step Functions history and AWS cost',
    )
    .argument('<plan>', 'plan file (YAML or JSON)')
    .option('--json', 'print the estimate as JSON')
    .action(async (planPath: string, opts: { json?: boolean }) => {
      const { validatePlan } = await import('../validate-plan.js');
      await validatePlan(io, planPath, opts);
    });
}
