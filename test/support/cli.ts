/**
 * Drives the real CLI in-process with captured output: `runCli` for one command with a given environment,
 * `CliHarness` for a temporary directory with its own data directory.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_COLOURS } from '../../lib/cli/colour.js';
import { CliExit, type Io } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/program.js';

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `fleetbench <args>` with this environment and working directory; never a real Ctrl+C or exit. */
export async function runCli(
  args: readonly string[],
  options: { env: Io['env']; cwd: string },
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    colours: { out: NO_COLOURS, err: NO_COLOURS },
    terminal: undefined,
    env: options.env,
    cwd: options.cwd,
    onInterrupt: () => () => undefined,
    onTerminate: () => () => undefined,
    exit: (code) => {
      throw new CliExit(code);
    },
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

export class CliHarness {
  private constructor(readonly dir: string) {}

  static async create(): Promise<CliHarness> {
    return new CliHarness(await mkdtemp(join(tmpdir(), 'fleetbench-test-')));
  }

  get dataDir(): string {
    return join(this.dir, '.fleetbench');
  }

  async writePlan(name: string, text: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, text);
    return path;
  }

  run(...args: string[]): Promise<CliResult> {
    return runCli(args, { env: { FLEETBENCH_HOME: this.dataDir }, cwd: this.dir });
  }

  async runJson<T>(...args: string[]): Promise<T> {
    const r = await this.run(...args, '--json');
    if (r.code !== 0 && r.code !== 1)
      throw new Error(`fleetbench ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
