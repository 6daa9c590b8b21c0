/**
 * cfn-lint on the template `cdk deploy` would send, for two regions: bin/app.ts runs as the CDK CLI runs it
 * (cdk.json's context and feature flags, CDK_OUTDIR, the region from AWS_REGION), and cfn-lint
 * checks every resource against the CloudFormation schemas of that region. Zero errors; every warning is
 * fixed, or ignored below by rule id with the reason.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME } from '../../lib/adapters/aws/stack-outputs.js';
import { requireTool } from '../support/python-tools.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** cfn-lint rules the stack knowingly does not follow, and why. */
const IGNORED_RULES: Readonly<Record<string, string>> = {
  W3005:
    'CDK writes DependsOn on a function’s (and the state machine’s) role and default policy beside the GetAtt of the role: redundant, harmless, and not ours to remove',
};

/** One finding of `cfn-lint --format json`. */
type Finding = {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Location: { Path?: (string | number)[] };
};

let outRoot: string;
const templates = new Map<string, string>();

/**
 * `cdk synth` without the CLI: bin/app.ts in its own process with the environment the CDK CLI gives it.
 * Bundling is skipped (`aws:cdk:bundling-stacks`): it changes only asset hashes, and the bundle test covers it;
 * so is cdk-nag, which changes nothing in the template and has its own test (fleetbench-stack.test.ts).
 */
async function synth(region: string): Promise<string> {
  const outdir = join(outRoot, region);
  const cdkJson = JSON.parse(await readFile(join(ROOT, 'cdk.json'), 'utf8')) as { context: object };
  await run(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: ROOT,
    timeout: 180_000,
    env: {
      ...process.env,
      AWS_REGION: region,
      CDK_DEFAULT_ACCOUNT: '123456789012',
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, 'aws:cdk:bundling-stacks': [], nag: 'off' }),
    },
  });
  return join(outdir, `${DEFAULT_STACK_NAME}.template.json`);
}

/** Every error and warning cfn-lint finds in a template, for a region. */
async function cfnLint(template: string, region: string): Promise<Finding[]> {
  try {
    const { stdout } = await run('cfn-lint', ['--format', 'json', '--regions', region, '--', template], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout || '[]') as Finding[];
  } catch (error) {
    // cfn-lint exits non-zero when it finds something (2 error, 4 warning, 8 informational): the JSON is on stdout.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    if (stdout?.trim().startsWith('[')) return JSON.parse(stdout) as Finding[];
    throw new Error(`cfn-lint did not run on ${template}: ${stderr ?? (error as Error).message}`);
  }
}

function describeFinding(f: Finding): string {
  return `${f.Level} ${f.Rule.Id} at ${(f.Location.Path ?? []).join('/')}: ${f.Message}`;
}

const findings = new Map<string, Finding[]>();

beforeAll(async () => {
  await requireTool('cfn-lint');
  outRoot = await mkdtemp(join(tmpdir(), 'fleetbench-cfn-lint-'));
  // One synth per region, both at once: synth is the slow part.
  await Promise.all(
    REGIONS.map(async (region) => {
      templates.set(region, await synth(region));
      findings.set(region, await cfnLint(templates.get(region) ?? '', region));
    }),
  );
}, 300_000);

afterAll(async () => {
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

describe('cfn-lint on the synthesized stack', () => {
  it.each(REGIONS)('finds no error or warning in the %s template, except the ignored rules', (region) => {
    const reported = findings.get(region) ?? [];

    const left = reported.filter((f) => IGNORED_RULES[f.Rule.Id] === undefined).map(describeFinding);

    expect(left).toEqual([]);
  });

  it.each(
    REGIONS,
  )('still finds each ignored rule in the %s template (an ignore with nothing to ignore goes)', (region) => {
    const reported = new Set((findings.get(region) ?? []).map((f) => f.Rule.Id));

    expect(Object.keys(IGNORED_RULES).filter((id) => !reported.has(id))).toEqual([]);
  });

  it.each(REGIONS)('lints the whole stack, synthesized for %s', async (region) => {
    const template = JSON.parse(await readFile(templates.get(region) ?? '', 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };

    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    const text = JSON.stringify(template);

    expect([...types]).toEqual(
      expect.arrayContaining([
        'AWS::StepFunctions::StateMachine',
        'AWS::Lambda::Function',
        'AWS::DynamoDB::Table',
        'AWS::Events::EventBus',
        'AWS::S3::Bucket',
      ]),
    );
    expect(text).toContain(`arn:aws:states:${region}:123456789012:stateMachine:`);
  });
});
