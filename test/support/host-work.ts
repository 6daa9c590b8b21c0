/**
 * Where a host's commands ran, for end-to-end tests whose data directory holds a single run: each run has
 * its own working directory per host (`<dataDir>/hosts/<host>/work/<runId>`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The working directory of the data directory's only run on `host` (a path that does not exist yet before the run's first command). */
export function hostWork(dataDir: string, host: string): string {
  const base = join(dataDir, 'hosts', host, 'work');
  let runs: string[];
  try {
    runs = readdirSync(base);
  } catch {
    return join(base, 'no-run-yet');
  }
  if (runs.length > 1) throw new Error(`${base} holds ${runs.length} runs, expected one`);
  return join(base, runs[0] ?? 'no-run-yet');
}
