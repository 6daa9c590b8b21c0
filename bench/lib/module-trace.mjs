/**
 * Preloaded with `node --import` into a CLI process: records every module the process loads, one absolute
 * path a line, in the file $FLEETBENCH_MODULE_TRACE — ES modules through a loader hook (module-trace-hooks.mjs),
 * CommonJS ones (dynalite, LevelDB, what bundled code requires) from require's cache as the process exits.
 * Plain JavaScript: the process it traces runs without a TypeScript loader.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.FLEETBENCH_MODULE_TRACE;
if (out) {
  register('./module-trace-hooks.mjs', import.meta.url, { data: { out } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const files = Object.keys(cache);
    if (files.length > 0) appendFileSync(out, `${files.join('\n')}\n`);
  });
}
