import { type Colours, coloursFor } from './colour.js';

/**
 * Where the CLI writes: data on stdout, diagnostics and progress on stderr (STYLE.md rule 8). Commands
 * receive an Io so tests capture both streams without touching the process.
 */
export type Io = {
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
  /** Ends the process now (third Ctrl+C). */
  readonly exit: (code: number) => never;
};

export type TerminationSignal = 'SIGTERM' | 'SIGHUP';

export function processIo(): Io {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
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
    exit: (code) => process.exit(code),
  };
}

/** Thrown by a command to end with an exit code after it has printed what it had to say. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}
