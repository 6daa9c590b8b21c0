/**
 * What a CLI command loads: the compiled CLI (dist/) run as a process with module-trace.mjs preloaded, the
 * files it loaded mapped back to their sources through dist/meta.json (esbuild's metafile: the sources
 * each chunk holds), and summed by package. How the start-up figure profiles each command and how the
 * start-up test proves `--help` and `validate` leave the database, the AWS SDK and the interpreter alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');
const BIN = join(ROOT, 'bin/fleetbench.js');
const TRACE = fileURLToPath(new URL('./module-trace.mjs', import.meta.url));
const TRACE_HOOKS = fileURLToPath(new URL('./module-trace-hooks.mjs', import.meta.url));

export type LoadedSource = {
  /** Repository-relative: `lib/cli/program.ts`, `node_modules/zod/v4/core/core.js`. */
  readonly path: string;
  /** Bytes of it in the chunk that carried it (a CommonJS file from node_modules: its size; an addon: 0). */
  readonly bytes: number;
};

export type CommandModules = {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The files Node loaded (the tracer's own excepted): bin/fleetbench.js, chunks of dist/, required files. */
  readonly files: readonly string[];
  /** Every source the process loaded, from the chunks it loaded and the files it required. */
  readonly sources: readonly LoadedSource[];
};

/**
 * Runs `node bin/fleetbench.js <args>` with the module trace and returns what it loaded. Needs a built
 * dist/ (`npm run build`).
 * @example
 * const { sources } = traceCliModules(['--help'], { cwd });
 * packagesOf(sources).has('dynalite'); // false
 */
export function traceCliModules(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): CommandModules {
  const dir = mkdtempSync(join(tmpdir(), 'fleetbench-trace-'));
  const trace = join(dir, 'modules.txt');
  try {
    const { NODE_OPTIONS: _, ...env } = { ...process.env, ...options.env };
    const out = spawnSync(process.execPath, ['--import', TRACE, BIN, ...args], {
      cwd: options.cwd,
      encoding: 'utf8',
      env: { ...env, FLEETBENCH_MODULE_TRACE: trace },
      timeout: 60_000,
    });
    const files = readTrace(trace).filter((f) => f !== TRACE && f !== TRACE_HOOKS);
    return { code: out.status, stdout: out.stdout, stderr: out.stderr, files, sources: sourcesOf(files) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readTrace(path: string): string[] {
  try {
    return [...new Set(readFileSync(path, 'utf8').split('\n').filter(Boolean))];
  } catch {
    return [];
  }
}

/** The sources behind loaded files: a chunk of dist/ stands for what the metafile says it holds. */
export function sourcesOf(files: readonly string[]): LoadedSource[] {
  const meta = JSON.parse(readFileSync(join(DIST, 'meta.json'), 'utf8')) as Metafile;
  const sources = new Map<string, number>();
  for (const file of files) {
    const output = file.startsWith(`${DIST}/`) ? meta.outputs[relative(DIST, file)] : undefined;
    if (output) {
      for (const [path, input] of Object.entries(output.inputs))
        sources.set(path, (sources.get(path) ?? 0) + input.bytesInOutput);
    } else {
      sources.set(relative(ROOT, file), sizeOf(file));
    }
  }
  return [...sources].map(([path, bytes]) => ({ path, bytes }));
}

function sizeOf(file: string): number {
  // A native addon (LevelDB's) is machine code, dlopen'd: it is not JavaScript to parse.
  if (file.endsWith('.node')) return 0;
  try {
    return readFileSync(file).length;
  } catch {
    return 0;
  }
}

/**
 * Bytes loaded per package (`@aws-sdk/client-dynamodb`, `dynalite`) and per folder of ours (`lib/cli`).
 * @example
 * packagesOf([{ path: 'node_modules/zod/index.js', bytes: 10 }]); // Map { 'zod' => 10 }
 */
export function packagesOf(sources: readonly LoadedSource[]): Map<string, number> {
  const packages = new Map<string, number>();
  for (const { path, bytes } of sources) {
    const inModules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    const name = inModules ? (inModules[1] as string) : path.split('/').slice(0, 2).join('/');
    packages.set(name, (packages.get(name) ?? 0) + bytes);
  }
  return packages;
}
