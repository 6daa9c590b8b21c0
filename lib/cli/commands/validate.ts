/** `fleetbench validate <plan>`: a dry run — the plan's errors, or what it would run and how long it may take. */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { estimatePlan } from '../../core/estimate.js';
import type { Io } from '../io.js';
import { readPlanFile } from '../plan-file.js';

export function registerValidateCommand(program: Command, io: Io): void {
  program
    .command('validate')
    .description(
      'check a plan without running it: errors with file:line:column, or the task count and a duration estimate',
    )
    .argument('<plan>', 'plan file (YAML or JSON)')
    .option('--json', 'print the estimate as JSON')
    .action(async (planPath: string, opts: { json?: boolean }) => {
      const plan = await readPlanFile(planPath, io.cwd);
      const estimate = estimatePlan(plan);
      if (opts.json) {
        io.out(`${JSON.stringify({ valid: true, name: plan.name, ...estimate }, null, 2)}\n`);
        return;
      }
      io.out(
        `Plan "${plan.name}" is valid.\n` +
          `  ${estimate.workloads} workload(s), ${estimate.hosts} host(s), ${estimate.tasks} task(s)\n` +
          `  estimated duration: ~${formatDuration(estimate.seconds)} (${plan.strategy}, ${plan.concurrency ?? 'all'} host(s) at once)\n`,
      );
    });
}
