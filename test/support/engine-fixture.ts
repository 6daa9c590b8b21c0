/**
 * The fixture of the end-to-end tests that run the engine as a process: a fresh CLI harness (its own
 * directory and data directory) for each test, and the engine process a test started killed after it.
 */
import { afterEach, beforeEach } from 'vitest';
import { CliHarness } from './cli.js';
import type { EngineProcess } from './engine-process.js';

export type EngineFixture = { cli: CliHarness; engine: EngineProcess | undefined };

/**
 * @example
 * const t = engineFixture();
 * it('stops', async () => {
 *   t.engine = startEngineProcess(t.cli.dir, t.cli.dataDir, ['run', plan]);
 * });
 */
export function engineFixture(): EngineFixture {
  const t = { engine: undefined } as EngineFixture;
  beforeEach(async () => {
    t.cli = await CliHarness.create();
  });
  afterEach(async () => {
    t.engine?.child.kill('SIGKILL');
    await t.engine?.exited;
    t.engine = undefined;
    await t.cli.dispose();
  });
  return t;
}
