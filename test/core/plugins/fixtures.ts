/**
 * Loads the real tool outputs captured by test/fixtures/plugins/capture.ts as a CommandOutput, with the
 * exit code the tool really returned. A `-truncated` copy has no manifest entry: it stands for a
 * successful run whose stdout was cut in transit, so its exit code is 0 and its stderr empty.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandContext, CommandOutput } from '../../../lib/core/plugins/types.js';

const ROOT = join(import.meta.dirname, '..', '..', 'fixtures', 'plugins');

type Manifest = { version: string; cases: Record<string, { exitCode: number }> };

export function fixture(tool: string, name: string): CommandOutput {
  const dir = join(ROOT, tool);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const stderrPath = join(dir, `${name}.stderr.txt`);
  return {
    stdout: readFileSync(join(dir, `${name}.stdout.txt`), 'utf8'),
    stderr: existsSync(stderrPath) ? readFileSync(stderrPath, 'utf8') : '',
    exitCode: manifest.cases[name]?.exitCode ?? 0,
  };
}

export const context: CommandContext = { workload: 'w', rep: 1, seed: '42' };

export const HOSTILE = '"; rm -rf / #';

/** A metrics array as `{ name: unit }`, to assert names and units in one expectation. */
export function unitsByName(metrics: readonly { name: string; unit: string }[]): Record<string, string> {
  return Object.fromEntries(metrics.map((m) => [m.name, m.unit]));
}
