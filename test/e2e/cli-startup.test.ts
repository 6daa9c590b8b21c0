/**
 * The compiled CLI as users start it: `node bin/fleetbench.js` runs dist/ (built by the global setup) with no
 * TypeScript loader, and each command loads only what it uses — every module the process loads is traced
 * (bench/lib/module-trace.mjs) and mapped back to its sources through esbuild's metafile.
 */

import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CommandModules, packagesOf, traceCliModules } from '../../bench/lib/cli-modules.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What only a run needs: the interpreter, the plan schema and the plugins' (zod, yaml), the AWS clients of
 * the aws target, CDK.
 */
const RUN_ONLY =
  /^(?:aws-local-stepfunctions|zod|yaml|@aws-sdk\/client-(?!dynamodb$).*|aws-cdk-lib|constructs)$/;
/** What only the commands that publish events, compute statistics or draw need. */
const REPORTING =
  /^(?:cloudevents|ajv|ajv-formats|json-bigint|bignumber\.js|@stdlib\/.*|csv-stringify|d3-.*)$/;
/** What only the database needs: dynalite (LevelDB) and the DynamoDB SDK. */
const DATABASE = /^(?:dynalite|classic-level|abstract-level|@aws-sdk\/.*|@smithy\/.*)$/;

let dir: string;
let dataDir: string;
let planPath: string;

const packages = (result: CommandModules) => [...packagesOf(result.sources).keys()];
const trace = (...args: string[]) => traceCliModules(args, { cwd: dir });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetbench-startup-'));
  dataDir = join(dir, '.fleetbench');
  planPath = join(dir, 'one.yaml');
  await writeFile(
    planPath,
    'name: one-task\nhosts: { local: 1 }\nrepetitions: 1\nworkloads:\n  - { name: noop, plugin: shell, options: { command: /bin/true } }\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('The compiled CLI', () => {
  it('prints its help from dist/ without a TypeScript loader or any TypeScript file', () => {
    // Act
    const result = trace('--help');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: fleetbench');
    expect(result.files).toContain(join(ROOT, 'dist/fleetbench.js'));
    expect(result.files.filter((f) => f.endsWith('.ts') || f.includes('/node_modules/tsx/'))).toEqual([]);
  });

  it.each([
    ['--help', ['--help'], []],
    ['validate', ['validate', join(ROOT, 'examples/quickstart.yaml')], ['yaml', 'zod']],
  ])('loads neither the database, the AWS SDK nor the interpreter for %s', (_name, args, planSchema) => {
    // Act
    const result = trace(...args);

    // Assess
    expect(result.code).toBe(0);
    const heavy = packages(result).filter((p) => DATABASE.test(p) || RUN_ONLY.test(p));
    expect(heavy.sort()).toEqual(planSchema);
  });

  it('loads the interpreter for a run, and for runs and status the database but neither the interpreter nor the plan schema', () => {
    // Prepare: one finished run to read back.
    const run = trace('--data-dir', dataDir, 'run', planPath, '--run-id', 'startup-1');

    // Act
    const runs = trace('--data-dir', dataDir, 'runs');
    const status = trace('--data-dir', dataDir, 'status', 'startup-1');

    // Assess
    expect(run.code).toBe(0);
    expect(packages(run)).toEqual(expect.arrayContaining(['aws-local-stepfunctions', 'dynalite', 'zod']));
    for (const read of [runs, status]) {
      expect(read.code).toBe(0);
      expect(packages(read)).toEqual(expect.arrayContaining(['dynalite', '@aws-sdk/client-dynamodb']));
      expect(packages(read).filter((p) => RUN_ONLY.test(p))).toEqual([]);
    }
    expect(status.stdout).toContain('startup-1');
  });

  it('loads the CloudEvents SDK, the statistics, CSV and chart libraries only in the commands that use them', () => {
    // Prepare: one finished run to read back.
    const run = trace('--data-dir', dataDir, 'run', planPath, '--run-id', 'startup-2');

    // Act
    const help = trace('--help');
    const status = trace('--data-dir', dataDir, 'status', 'startup-2');
    const events = trace('--data-dir', dataDir, 'events', 'startup-2');
    const md = trace('--data-dir', dataDir, 'report', 'startup-2');
    const csv = trace('--data-dir', dataDir, 'report', 'startup-2', '--format', 'csv');

    // Assess: a run publishes (the SDK), a report computes (stdlib) and formats what it writes.
    const reporting = (r: CommandModules) => packages(r).filter((p) => REPORTING.test(p));
    expect(run.code).toBe(0);
    expect(packages(run)).toContain('cloudevents');
    expect(reporting(help)).toEqual([]);
    expect(reporting(status)).toEqual([]);
    expect(reporting(events)).toEqual([]);
    expect(packages(help)).not.toContain('string-width');
    expect(reporting(md)).toEqual(expect.arrayContaining(['@stdlib/stats-ttest', 'd3-format']));
    expect(reporting(md).filter((p) => /^(?:cloudevents|csv-stringify|d3-color)$/.test(p))).toEqual([]);
    expect(reporting(csv)).toContain('csv-stringify');
  });

  it('says in one line how to build it when dist/ is missing', async () => {
    // Prepare: the launcher alone, in a checkout that was never built.
    const checkout = join(dir, 'unbuilt');
    await mkdir(join(checkout, 'bin'), { recursive: true });
    await copyFile(join(ROOT, 'bin/fleetbench.js'), join(checkout, 'bin/fleetbench.js'));
    await copyFile(join(ROOT, 'package.json'), join(checkout, 'package.json'));

    // Act
    const out = spawnSync(process.execPath, [join(checkout, 'bin/fleetbench.js'), '--help'], {
      encoding: 'utf8',
    });

    // Assess
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('npm run build');
  });
});
