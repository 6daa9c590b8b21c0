/**
 * `npm run build` (and `npm ci`, through the `prepare` script): compiles the CLI into `dist/`, which
 * `bin/fleetbench.js` runs, so a command starts without a TypeScript loader. esbuild bundles
 * bin/fleetbench.ts with its dependencies as ES modules split into chunks: a module reached only through a
 * dynamic `import()` lands in a chunk of its own, loaded when a command needs it — `--help` and `validate`
 * load neither the database, nor the AWS SDK, nor the interpreter; `runs` and `status` the database only
 * (docs/performance.md, "CLI start-up").
 *
 * Files that code finds next to its own module (`new URL('./x', import.meta.url)`) are copied beside the
 * chunks: the host worker's script. dynalite is not bundled: it is loaded with `createRequire`, from
 * node_modules, with its LevelDB binding. The build goes to a fresh directory swapped in at the end, so a
 * CLI started meanwhile (another test run) never sees half a build. `dist/meta.json` is esbuild's
 * metafile: which sources each chunk holds.
 */
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Where the compiled CLI lives; `bin/fleetbench.js` imports `dist/fleetbench.js`. */
export const CLI_DIST = join(ROOT, 'dist');

/** Files a module locates relative to itself at run time: copied next to the chunks. */
const BESIDE_THE_CHUNKS = ['lib/adapters/local/host-worker.sh'];

/**
 * Bundled CommonJS code calls require(); an ES module has none unless it makes one. The alias keeps it
 * clear of a bundled module's own `createRequire` import.
 */
const REQUIRE_BANNER =
  "import { createRequire as __fleetbenchCreateRequire } from 'node:module'; const require = __fleetbenchCreateRequire(import.meta.url);";

/**
 * `import { z } from 'zod'` keeps zod's whole namespace, and with it `z.locales`: the error messages of
 * every language zod speaks, half of the 730 KB of zod a run loads. fleetbench writes its own messages and
 * keeps zod's default, English: the bundle's `locales` holds `en` only.
 */
const englishZod: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[/\\]node_modules[/\\]zod[/\\]/.test(args.importer)) return undefined;
      return { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * aws-local-stepfunctions imports what the local engine never uses: the Lambda client (and its credential
 * providers) that invokes a Task state without a local handler — the engine binds every Task state of
 * run.asl.json to a use case — and asl-validator (ajv, jsonata), which it runs unless told not to — the
 * engine tells it not to, run.asl.json being validated by test/infra/asl.test.ts. Together three quarters
 * of the interpreter a run loads. In the CLI bundle they are replaced by stand-ins that say so if called.
 */
const UNUSED_BY_THE_INTERPRETER: Readonly<Record<string, string>> = {
  '@aws-sdk/client-lambda': `export class LambdaClient { constructor() { ${refusal('a Task state without a local handler would invoke an AWS Lambda function')} } }
export class InvokeCommand {}`,
  '@aws-sdk/credential-providers': `export function fromCognitoIdentityPool() { ${refusal('AWS credentials are not used by the local engine')} }`,
  'asl-validator': `export default function aslValidator() { ${refusal('the local engine runs the state machine with validation off (noValidate)')} }`,
};

function refusal(why: string): string {
  return `throw new Error(${JSON.stringify(`fleetbench's compiled CLI does not include this part of aws-local-stepfunctions: ${why}`)});`;
}

const interpreterTrim: Plugin = {
  name: 'interpreter-without-lambda-and-validator',
  setup(build) {
    const names = Object.keys(UNUSED_BY_THE_INTERPRETER).map((n) => n.replace(/[/.-]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(?:${names.join('|')})$`) }, (args) => {
      if (!/[/\\]node_modules[/\\]aws-local-stepfunctions[/\\]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'unused-by-the-interpreter' };
    });
    build.onLoad({ filter: /.*/, namespace: 'unused-by-the-interpreter' }, (args) => ({
      contents: UNUSED_BY_THE_INTERPRETER[args.path] as string,
    }));
  },
};

/**
 * Builds the CLI into `outdir` (default `dist/`) and returns esbuild's metafile.
 * @example
 * const meta = await buildCli(); // dist/fleetbench.js, its chunks, dist/meta.json
 */
export async function buildCli(outdir: string = CLI_DIST): Promise<Metafile> {
  const staging = `${outdir}.build-${process.pid}-${Date.now()}`;
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { fleetbench: 'bin/fleetbench.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Prefer packages' ES module builds: they bundle smaller than their CommonJS ones.
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    plugins: [englishZod, interpreterTrim],
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  });
  const meta = relativeToOutdir(result.metafile, relative(ROOT, staging));
  try {
    for (const file of BESIDE_THE_CHUNKS) await copyFile(join(ROOT, file), join(staging, basename(file)));
    await writeFile(join(staging, 'meta.json'), JSON.stringify(meta));
    await swapIn(staging, outdir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return meta;
}

/** The metafile with its outputs named as in the built directory (`fleetbench.js`, `chunk-….js`). */
function relativeToOutdir(meta: Metafile, outdir: string): Metafile {
  const outputs: Metafile['outputs'] = {};
  for (const [path, output] of Object.entries(meta.outputs)) {
    outputs[relative(outdir, path)] = {
      ...output,
      imports: output.imports.map((i) => (i.external ? i : { ...i, path: relative(outdir, i.path) })),
    };
  }
  return { ...meta, outputs };
}

/** Replaces `target` by `staging`; the moment without either is two renames long. */
async function swapIn(staging: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const old = `${target}.old-${process.pid}-${Date.now()}`;
  try {
    await rename(target, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(staging, target);
  await rm(old, { recursive: true, force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const meta = await buildCli();
  const chunks = Object.keys(meta.outputs).filter((o) => o.endsWith('.js')).length;
  process.stdout.write(
    `built ${relative(process.cwd(), CLI_DIST) || '.'}/ (${chunks} chunks) in ${Math.round(performance.now() - started)} ms\n`,
  );
}
