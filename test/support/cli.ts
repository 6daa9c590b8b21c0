/**
 * Drives the real CLI in-process with captured output, a temporary data directory and a fake Ctrl+C.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliExit, type Io } from '../../lib/cli/io.js';
import { main } from '../../lib/cli/program.js';

export type CliResult = { code: number; stdout: string; stderr: string };

export class CliHarness {
  private interruptListeners = new Set<() => void>();

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

  /** Simulates one Ctrl+C press. */
  interrupt(): void {
    for (const l of this.interruptListeners) l();
  }

  async run(...args: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const io: Io = {
      out: (t) => {
        stdout += t;
      },
      err: (t) => {
        stderr += t;
      },
      isTTY: false,
      env: { FLEETBENCH_HOME: this.dataDir },
      cwd: this.dir,
      onInterrupt: (l) => {
        this.interruptListeners.add(l);
        return () => this.interruptListeners.delete(l);
      },
      exit: (code) => {
        throw new CliExit(code);
      },
    };
    const code = await main(args, io);
    return { code, stdout, stderr };
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
