/**
 * Runs the real CLI as a separate process — the engine as a user starts it — so tests can stop it from
 * "another terminal", or kill -9 it at a chosen moment.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/fleetbench.js', import.meta.url));

export type EngineProcess = {
  readonly child: ChildProcess;
  readonly runId: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
};

export function startEngineProcess(cwd: string, dataDir: string, args: readonly string[]): EngineProcess {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
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
