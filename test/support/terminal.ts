/**
 * Runs a shell command line in a real pseudo-terminal (util-linux `script`), for what only a terminal
 * shows: colour decided per stream, the redrawn progress bar and its width. What the terminal received
 * comes back as text, escape codes included; redirections in the command line (`> out.txt`) still apply.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export type TerminalResult = { readonly status: number | null; readonly screen: string };

/**
 * @example
 * const { screen } = await inTerminal(`node ${BIN} show ${runId} > out.txt`, { columns: 60, cwd });
 */
export async function inTerminal(
  commandLine: string,
  options: {
    readonly cwd: string;
    readonly columns?: number;
    readonly env?: Readonly<Record<string, string>>;
  },
): Promise<TerminalResult> {
  const columns = options.columns ?? 80;
  // Colour is the test's to choose: none of the test runner's own settings leak in.
  // CI too: Node gives a terminal two colours when CI is set (tty.getColorDepth), as fleetbench does.
  const {
    FORCE_COLOR: _force,
    NO_COLOR: _no,
    CI: _ci,
    NODE_DISABLE_COLORS: _disable,
    ...inherited
  } = process.env;
  const child = spawn('script', ['-qec', `stty cols ${columns} rows 40; ${commandLine}`, '/dev/null'], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, TERM: 'xterm-256color', ...options.env },
  });
  let screen = '';
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    screen += d.toString();
  });
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, screen };
}
