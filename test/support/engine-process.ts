/**
 * Runs the real CLI as a separate process — the engine as a user starts it — so tests can stop it from
 * "another terminal", or kill -9 it at a chosen moment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The CLI's entry, as package.json's "bin" names it. */
export const BIN = fileURLToPath(new URL('../../bin/fleetbench.js', import.meta.url));
const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));

export type EngineProcessOptions = {
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Runs `npx fleetbench …` from the repository, as the README's commands do (npm runs the bin through
   * `sh -c`), instead of `node bin/fleetbench.js`. npm works offline: nothing is fetched.
   */
  readonly viaNpx?: boolean;
  /**
   * Starts it in a process group of its own, as a shell starts a foreground job: `process.kill(-pid)` then
   * signals every process of it, as a terminal's Ctrl+C does.
   */
  readonly ownGroup?: boolean;
  /** Closes the reading end of its stdout at once: every write to stdout meets a reader that has gone. */
  readonly stdoutClosed?: boolean;
};

export type EngineProcess = {
  readonly child: ChildProcess;
  readonly runId: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
};

export function startEngineProcess(
  cwd: string,
  dataDir: string,
  args: readonly string[],
  options: EngineProcessOptions = {},
): EngineProcess {
  const cli = ['--data-dir', dataDir, ...args];
  const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env };
  const child = options.viaNpx
    ? spawn('npx', ['fleetbench', ...cli], {
        cwd: REPOSITORY,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...env,
          npm_config_offline: 'true',
          npm_config_update_notifier: 'false',
          npm_config_fund: 'false',
        },
        detached: options.ownGroup === true,
      })
    : spawn(process.execPath, [BIN, ...cli], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
        detached: options.ownGroup === true,
      });
  if (options.stdoutClosed) child.stdout?.destroy();
  let out = '';
  let err = '';
  let resolveId!: (id: string) => void;
  const runId = new Promise<string>((resolve) => {
    resolveId = resolve;
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    const id = /(?:Started|Resuming) run (\S+)/.exec(out)?.[1];
    if (id) resolveId(id);
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, runId, exited, stdout: () => out, stderr: () => err };
}
