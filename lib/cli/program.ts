/**
 * The CLI: one `registerXCommand` per command file, assembled here. `makeProgram` builds a fresh program
 * per invocation so tests drive it with their own Io and commander's exitOverride.
 */
import { Command } from 'commander';
import { registerCompareCommand } from './commands/compare.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEventsCommand } from './commands/events.js';
import { registerExportCommand } from './commands/export.js';
import { registerReportCommand } from './commands/report.js';
import { registerRmCommand } from './commands/rm.js';
import { registerResumeCommand, registerRunCommand } from './commands/run.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerShowCommands } from './commands/show.js';
import { registerStopCommand } from './commands/stop.js';
import { registerValidateCommand } from './commands/validate.js';
import { reportError } from './errors.js';
import { type Io, processIo } from './io.js';

export function makeProgram(io: Io): Command {
  const program = new Command('fleetbench')
    .description('Benchmark campaigns on fleets of Linux hosts: resumable, stoppable, journaled.')
    .option(
      '--data-dir <dir>',
      'where the local engine keeps its database, outputs and events (env FLEETBENCH_HOME)',
      undefined,
    )
    .option('--debug', 'print stack traces and the engine log on stderr')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    // Set before the commands are added so they inherit it: errors and --help surface as exceptions.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nStart here:  fleetbench run examples/quickstart.yaml\nDocs:        README.md, docs/',
    );
  registerRunCommand(program, io);
  registerValidateCommand(program, io);
  registerRunsCommand(program, io);
  registerShowCommands(program, io);
  registerStopCommand(program, io);
  registerResumeCommand(program, io);
  registerEventsCommand(program, io);
  registerReportCommand(program, io);
  registerCompareCommand(program, io);
  registerExportCommand(program, io);
  registerRmCommand(program, io);
  registerDoctorCommand(program, io);
  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const program = makeProgram(io);
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return 0;
  } catch (error) {
    return reportError(io, error, argv.includes('--debug'));
  }
}
