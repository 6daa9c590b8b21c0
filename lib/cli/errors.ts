/**
 * Maps errors to what a user sees: one line saying what, where and how to fix it, and an exit code
 * (2 for invalid input). A stack trace only with `--debug`. Branches on error classes, never on text.
 */
import { CommanderError } from 'commander';
import { FleetbenchError, PlanValidationError } from '../core/errors.js';
import { CliExit, type Io, StdoutClosedError } from './io.js';
import { BROKEN_PIPE_STATUS } from './process-exit.js';

/** Past this many, a plan's problems are counted rather than listed (a generated plan can have thousands). */
const MAX_PLAN_ISSUES = 50;

export function reportError(io: Io, error: unknown, debug: boolean): number {
  if (error instanceof CliExit) return error.exitCode;
  // stdout's reader has gone: nothing to say, and nobody to say it to on stdout.
  if (error instanceof StdoutClosedError) return BROKEN_PIPE_STATUS;
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  const prefix = io.colours.err.red('error:');
  if (error instanceof PlanValidationError) {
    // Every problem of the plan, one line each, so they are fixed in one go.
    const shown = error.issues.slice(0, MAX_PLAN_ISSUES);
    for (const issue of shown)
      io.err(`${prefix} ${issue.where}: ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}\n`);
    const hidden = error.issues.length - shown.length;
    if (hidden > 0) io.err(`${prefix} … and ${hidden} more problem(s) in the plan\n`);
    if (debug && error.stack) io.err(`${error.stack}\n`);
    return error.exitCode;
  }
  if (error instanceof FleetbenchError) {
    io.err(`${prefix} ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`);
    if (debug && error.stack) io.err(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`${prefix} ${message}${debug ? '' : ' (run again with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
  return 1;
}
