/**
 * Where the CLI writes: data on stdout, diagnostics and progress on stderr (STYLE.md rule 8). Commands
 * receive an Io so tests capture both streams without touching the process.
 */
export type Io = {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stderr is a terminal: live progress and colour only then. */
  readonly isTTY: boolean;
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
    isTTY: process.stderr.isTTY === true && process.env.NO_COLOR === undefined,
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

const codes = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Style = keyof typeof codes;

export function paint(io: Io, style: Style, text: string): string {
  return io.isTTY ? `\u001b[${codes[style]}m${text}\u001b[0m` : text;
}
