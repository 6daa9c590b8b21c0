import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliHarness } from '../support/cli.js';

let cli: CliHarness;
beforeEach(async () => {
  cli = await CliHarness.create();
});
afterEach(async () => cli.dispose());

describe('The data directory', () => {
  it('has the engine.log the README lists as soon as a command opened it, before anything was logged', async () => {
    const runs = await cli.run('runs');

    expect(runs.code).toBe(0);
    expect(existsSync(join(cli.dataDir, 'engine.log'))).toBe(true);
  });
});
