#!/usr/bin/env node
// Runs the CLI compiled into dist/ (`npm run build`; `npm ci` builds it): no TypeScript loader at run time.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/fleetbench.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    `error: fleetbench is not built: ${entry.pathname} is missing (run \`npm run build\`, or \`npm ci\`, in ${new URL('..', import.meta.url).pathname})\n`,
  );
  process.exit(1);
}
await import(entry.href);
