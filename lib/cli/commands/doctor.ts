/**
 * `fleetbench doctor`: is this machine ready to run a plan? One line per check (OK / MISSING / FAILED)
 * with the fix, then one install command for everything missing; exit 1 when any check fails.
 * `--plan FILE` limits the tool checks to the plugins the plan uses. The checks (doctor-run.ts, and the
 * AWS SDK and the database they use) are imported when the command runs, not for `--help`.
 */
import type { Command } from 'commander';
import { dataDirOf, globalOptions } from '../context.js';
import type { DoctorOptions } from '../doctor-run.js';
import type { Io } from '../io.js';

export function registerDoctorCommand(program: Command, io: Io): void {
  program
    .command('doctor')
    .description(
      'check this machine is ready: Node.js version, a writable data directory, and the tools the plugins need (with the install command)',
    )
    .option(
      '--target <target>',
      "local (this machine) or aws (the deployed stack and the plan's EC2 hosts)",
      'local',
    )
    .option('--stack <name>', 'aws: the stack name (default Fleetbench)')
    .option('--plan <file>', "check only the tools this plan's plugins need")
    .option('--json', 'print {target, ok, checks: [{check, status, detail, fix}]} as JSON')
    .option(
      '--repair',
      'local: move a damaged journal database aside and rebuild every run from its events and run.json',
    )
    .action(async (opts: DoctorOptions, command: Command) => {
      const { runDoctor } = await import('../doctor-run.js');
      await runDoctor(io, opts, dataDirOf(io, globalOptions(command)));
    });
}
