/**
 * The parts of `npm run smoke:aws` that run without an account: its refusals (through the real process:
 * exit 2, one line, no AWS call), the plans it runs (both must pass `fleetbench validate`), and the
 * instance time it prices. The rest needs a real account: it is the smoke test itself.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readPlanFile } from '../../lib/cli/plan-file.js';
import type { HostRecord } from '../../lib/core/host-lifecycle.js';
import { holdingPlan, instanceSeconds, SMOKE_PLAN } from '../../scripts/aws-smoke.js';
import { runCli } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetbench-smoke-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * `npm run smoke:aws` as a process, in an environment with no AWS settings at all: no credentials files, no
 * profile, and no instance metadata lookup (the SDK would otherwise try 169.254.169.254).
 */
async function smoke(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/aws-smoke.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

describe('npm run smoke:aws', () => {
  it('refuses to run without credentials, with one line saying how to provide them', async () => {
    const out = await smoke([], { AWS_REGION: 'eu-west-1' });

    expect(out).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: no AWS credentials: the smoke test deploys a stack and launches an instance in a real account (set AWS_PROFILE (aws configure, aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run npm run smoke:aws again)\n',
    });
  });

  it('refuses to run without a region, with one line', async () => {
    const out = await smoke([]);

    expect(out).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'error: no AWS region: the smoke test deploys and runs in the region AWS_REGION names (e.g. AWS_REGION=eu-west-1 npm run smoke:aws)\n',
    });
  });

  it('refuses an invalid plan with its file and line, before looking for a region or credentials', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'name: smoke\nhosts: { provision: { count: 1 } }\nworkloads: []\n');

    const out = await smoke(['--plan', bad]);

    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    // Every problem at once, one line each with its place
    const lines = out.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(new RegExp(`^error: ${bad}:[23]:\\d+: `));
    expect(out.stderr).toMatch(new RegExp(`^error: ${bad}:2:`));
  });

  it('refuses a plan that does not launch its hosts: the smoke test follows an instance from launch to termination', async () => {
    const tagged = join(dir, 'tagged.yaml');
    await writeFile(
      tagged,
      stringify({
        ...parse(await readFile(join(ROOT, SMOKE_PLAN), 'utf8')),
        hosts: { tags: { team: 'perf' } },
      }),
    );

    const out = await smoke(['--plan', tagged], { AWS_REGION: 'eu-west-1' });

    expect(out).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${tagged}: the smoke test needs hosts: {provision: {...}} (launch one small instance for the run, as ${SMOKE_PLAN} does)\n`,
    });
  });

  it('refuses an unknown option with the usage', async () => {
    const out = await smoke(['--region', 'eu-west-1']);

    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      'error: unknown option --region (npm run smoke:aws [-- --plan <file>] [--stack <name>] [--no-deploy])\n',
    );
  });
});

describe('The smoke plans', () => {
  it('examples/aws-smoke.yaml is valid and launches one small instance with a setup, a teardown, a shell and a stress-ng workload', async () => {
    const out = await runCli(['validate', SMOKE_PLAN], { env: {}, cwd: ROOT });
    const plan = await readPlanFile(SMOKE_PLAN, ROOT);

    expect(out.code).toBe(0);
    expect(plan.hosts).toEqual({
      provision: expect.objectContaining({ count: 1, instanceType: 't3.micro' }),
    });
    expect(plan.setup.length).toBeGreaterThan(0);
    expect(plan.teardown.length).toBeGreaterThan(0);
    expect(plan.workloads.map((w) => w.plugin).sort()).toEqual(['shell', 'stress-ng']);
  });

  it('the plan of the stopped run is valid, keeps the hosts, setup and teardown, and holds one repetition', async () => {
    const plan = await readPlanFile(SMOKE_PLAN, ROOT);
    const path = join(dir, 'stop.yaml');
    await writeFile(path, stringify(holdingPlan(plan)));

    const out = await runCli(['validate', path], { env: {}, cwd: ROOT });
    const stop = await readPlanFile(path, ROOT);

    expect(out.code).toBe(0);
    expect({ hosts: stop.hosts, setup: stop.setup, teardown: stop.teardown }).toEqual({
      hosts: plan.hosts,
      setup: plan.setup,
      teardown: plan.teardown,
    });
    expect(stop.workloads.map((w) => [w.name, w.options])).toEqual([
      ['smoke-hold', expect.objectContaining({ command: 'sleep 600' })],
    ]);
  });
});

describe('instanceSeconds', () => {
  const host = (id: string, history: [string, HostRecord['state']][]): HostRecord => ({
    runId: 'r',
    instanceId: id,
    name: id,
    state: history.at(-1)?.[1] ?? 'REQUESTED',
    reason: '',
    createdAt: history[0]?.[0] ?? '',
    updatedAt: history.at(-1)?.[0] ?? '',
    history: history.map(([at, to], n) => ({
      at,
      from: n === 0 ? null : (history[n - 1]?.[1] ?? null),
      to,
      reason: '',
    })),
  });

  it('counts each instance from its launch request to its termination, or to now while it runs', () => {
    const hosts = [
      host('i-1', [
        ['2026-12-06T05:00:00.000Z', 'REQUESTED'],
        ['2026-12-06T05:01:00.000Z', 'RUNNING'],
        ['2026-12-06T05:10:00.000Z', 'TERMINATING'],
        ['2026-12-06T05:11:00.000Z', 'TERMINATED'],
      ]),
      host('i-2', [['2026-12-06T05:00:00.000Z', 'REQUESTED']]),
    ];

    expect(instanceSeconds(hosts, new Date('2026-12-06T05:05:00.000Z'))).toBe(600 + 300);
  });
});
