import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLING, PROJECT_ROOT } from '../../lib/infra/fleetbench-function.js';
import { context } from './fakes.js';

const outdir = mkdtempSync(join(tmpdir(), 'fleetbench-bundle-'));

const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
// The bundle has its own logger: keep the expected failure out of the test output.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
});

describe('Lambda bundle', () => {
  it('keeps error class names through minification, so Lambda reports the errorType the workflow matches', async () => {
    // Prepare: bundle one handler as the stack does (esbuild options of LAMBDA_BUNDLING).
    await build({
      entryPoints: [join(PROJECT_ROOT, 'lambdas/run-command.ts')],
      outfile: join(outdir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_BUNDLING.target,
      minify: LAMBDA_BUNDLING.minify,
      keepNames: LAMBDA_BUNDLING.keepNames,
      mainFields: [...LAMBDA_BUNDLING.mainFields],
      banner: { js: LAMBDA_BUNDLING.banner },
      logLevel: 'silent',
    });
    const bundled = (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as {
      handler: (event: unknown, ctx: typeof context) => Promise<unknown>;
    };

    // Act
    const invocation = bundled.handler({ phase: 'warmup' }, context);

    // Assess
    await expect(invocation).rejects.toMatchObject({ name: 'UsageError' });
  });
});
