import { type Colours, coloursFor } from './colour.js';
import { endProcess, isBrokenPipe } from './process-exit.js';

/**
 * Where the CLI writes: data on stdout, diagnostics and progress on stderr (STYLE.md rule 8). Commands
 * receive an Io so tests capture both streams without touching the process.
 */
export type Io = {
  /** Writes to stdout; throws StdoutClosedError once stdout's reader has gone. */
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Styles for what goes to stdout and to stderr, each decided for its own stream (colour.ts). */
  readonly colours: { readonly out: Colours; readonly err: Colours };
  /** stderr's terminal, when it is one: live progress, drawn as wide as the terminal is now. */
  readonly terminal: { readonly columns: () => number } | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Subscribes to Ctrl+C (SIGINT); returns the unsubscribe function. */
  readonly onInterrupt: (listener: () => void) => () => void;
  /** Subscribes to SIGTERM and SIGHUP; returns the unsubscribe function. */
  readonly onTerminate: (listener: (signal: TerminationSignal) => void) => () => void;
  /** Ends the process now (third Ctrl+C); 130 ends it by SIGINT (process-exit.ts). */
  readonly exit: (code: number) => never;
};

export type TerminationSignal = 'SIGTERM' | 'SIGHUP';

export function processIo(): Io {
  // A reader that went away is not a crash: stdout's ends the command at its next write (StdoutClosedError),
  // stderr's only drops diagnostics nobody can read (a run goes on). Other write errors (EIO once the
  // terminal hung up) have nobody to be told to either; the stream records them in `errored`.
  process.stdout.on('error', ignoreWriteError);
  process.stderr.on('error', ignoreWriteError);
  return {
    out: (t) => {
      if (isBrokenPipe(process.stdout.errored)) throw new StdoutClosedError();
      process.stdout.write(t);
      // On Linux a write to a pipe is synchronous: a reader gone is known now, before anything else is done.
      if (isBrokenPipe(process.stdout.errored)) throw new StdoutClosedError();
    },
    err: (t) => {
      if (!process.stderr.errored) process.stderr.write(t);
    },
    colours: { out: coloursFor(process.stdout, process.env), err: coloursFor(process.stderr, process.env) },
    // A "dumb" terminal cannot redraw a line in place: it gets the plain progress lines of a pipe.
    terminal:
      process.stderr.isTTY === true && process.env.TERM !== 'dumb'
        ? { columns: () => process.stderr.columns || 80 }
        : undefined,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: (listener) => {
      process.on('SIGINT', listener);
      return () => process.off('SIGINT', listener);
    },
    onTerminate: (listener) => {
      const onTerm = () => listener('SIGTERM');
      const onHup = () => {
        // The terminal is gone: writing to it fails (EIO, EPIPE), which must not end the stop under way.
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
        listener('SIGHUP');
      };
      process.on('SIGTERM', onTerm);
      process.on('SIGHUP', onHup);
      return () => {
        process.off('SIGTERM', onTerm);
        process.off('SIGHUP', onHup);
      };
    },
    exit: (code) => {
      endProcess(code);
      return process.exit(code);
    },
  };
}

function ignoreWriteError(): void {}

/**
 * Thrown by `Io.out` once the reader of stdout has gone (`fleetbench events <id> --json | head -2`): the
 * command stops where it is and the CLI ends quietly by SIGPIPE (status 141), as Unix tools do.
 */
export class StdoutClosedError extends Error {
  constructor() {
    super('stdout was closed by its reader');
    this.name = 'StdoutClosedError';
  }
}

/** Thrown by a command to end with an exit code after it has printed what it had to say. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}

/**
 * Writes to stdout and tells whether it could: false once its reader has gone. For a command that must
 * finish what it started before it ends (a run goes on to its teardowns, then ends with StdoutClosedError).
 * @example
 * const shown = tryOut(io, `Started run ${runId}\n`);
 * await handle.done;
 * if (!shown) throw new StdoutClosedError();
 */
export function tryOut(io: Io, text: string): boolean {
  try {
    io.out(text);
    return true;
  } catch (error) {
    if (error instanceof StdoutClosedError) return false;
    throw error;
  }
}
