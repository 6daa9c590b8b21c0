/**
 * Vitest global setup: builds the CLI (dist/) once before the tests, so the tests that spawn
 * `bin/fleetbench.js` as a process run the sources under test, not whatever was built last.
 */
import { buildCli } from '../scripts/build-cli.js';

export default async function setup(): Promise<void> {
  await buildCli();
}
