/**
 * Global options every command shares, and access to the local engine for the duration of a command.
 * The engine's module (the database, the DynamoDB SDK) is imported when a command opens it, so commands
 * that never do (`--help`, `validate`) start without loading it.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { assertRunId } from '../core/task-key.js';
import type { LocalEngine } from '../engine/local-engine.js';
import type { Io } from './io.js';

export type GlobalOptions = { dataDir?: string; debug?: boolean };

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** `--data-dir`, else $FLEETBENCH_HOME, else ./.fleetbench. */
export function dataDirOf(io: Io, options: GlobalOptions): string {
  return resolve(io.cwd, options.dataDir ?? io.env.FLEETBENCH_HOME ?? '.fleetbench');
}

export async function withEngine<T>(
  io: Io,
  options: GlobalOptions,
  fn: (engine: LocalEngine) => Promise<T>,
): Promise<T> {
  const { LocalEngine } = await import('../engine/local-engine.js');
  const engine = await LocalEngine.open({ dataDir: dataDirOf(io, options), debug: options.debug === true });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

export function runIdArgument(value: string): string {
  assertRunId(value);
  return value;
}
