/**
 * Maps errors to what a user sees: one line saying what, where and how to fix it, and an exit code
 * (2 for invalid input). A stack trace only with `--debug`. Branches on error classes, never on text.
 */
import { CommanderError } from 'commander';
import { FleetbenchError, PlanValidationError } from '../core/errors.js';
import { CliExit, type Io, paint } from './io.js';

export function reportError(io: Io, error: unknown, debug: boolean): number {
  if (error instanceof CliExit) return error.exitCode;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  const prefix = paint(io, 'red', 'error:');
  if (error instanceof FleetbenchError) {
    const where = error instanceof PlanValidationError ? `${error.where}: ` : '';
    io.err(`${prefix} ${where}${error.message}${error.hint ? ` (${error.hint})` : ''}\n`);
    if (debug && error.stack) io.err(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`${prefix} ${message}${debug ? '' : ' (run again with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  return 1;
}
