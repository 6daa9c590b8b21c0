/**
 * The IAM rehearsal: what a first deploy would meet on a real account, checked offline. dynalite, the
 * mocked SDK clients and the local interpreter enforce no IAM, so a function missing a permission passes
 * every other test and fails in AWS with AccessDenied. Here the workflows run through the real handlers
 * (test/lambdas/fake-aws.ts) while every AWS request is recorded with the principal making it
 * (test/support/iam/recording.ts: the functions, the state machine, EventBridge delivering to its targets,
 * the hosts' agent uploading outputs, the CLI user); each request becomes what IAM authorizes
 * (test/support/iam/requests.ts) and is evaluated against the policies of that principal as synthesized
 * (test/support/iam/stack-policies.ts: the CloudFormation template, ARNs resolved for 123456789012 /
 * us-east-1; the CLI user's policy is docs/cli-user-policy.json).
 *
 * The evaluator is @cloud-copilot/iam-simulate: maintained, and it models AWS's evaluation (condition
 * operators, wildcards in actions and ARNs, resource policies and same-account principals, validation of
 * each action's resource types and condition keys against the Service Authorization Reference). pbac
 * (MIT) is older and implements only part of the condition operators and none of that validation. The
 * simulator is AGPL, so it is a devDependency used by this test only, never imported by lib/, lambdas/ or
 * bin/ (asserted below) — see the licence note in the README.
 *
 * The reverse is checked too: an action a principal is granted that no recorded request used is either
 * removed from the stack or listed in the allow-list (test/support/iam/allow-list.ts) with the reason it
 * is needed anyway. What each principal requested is kept in test/support/iam/rehearsed-actions.json (a
 * file snapshot), where the construct tests read what each function's policies must grant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sendStopRequest } from '../../lib/adapters/aws/stop-request.js';
import { BUS, FakeAws, fleet, REGION, type SentCommand } from '../lambdas/fake-aws.js';
import { type CliResult, runCli } from '../support/cli.js';
import { allowedUnused } from '../support/iam/allow-list.js';
import { describeDenial, distinct, evaluate, grantedActions, type Verdict } from '../support/iam/evaluate.js';
import { asPrincipal, recordedRequests } from '../support/iam/recording.js';
import { formatRehearsedActions, REHEARSED_ACTIONS_PATH } from '../support/iam/rehearsed-actions.js';
import {
  hostRolePolicy,
  type ResolvedStack,
  synthesizeResolvedStack,
} from '../support/iam/stack-policies.js';

const STDOUT = JSON.stringify({ ops_per_s: 1234.5 });
/** A log too long for SSM to return: the host's copy of it is copied to S3 (the hosts' uploads). */
const LONG_LOG = 'warming up the caches of this host\n'.repeat(1_000);
const answer = (command: SentCommand, instanceId: string) =>
  command.phase !== 'repetition'
    ? {}
    : command.commandId === 'a1.repetition.cpu.2' && instanceId === fleet(1)[0]?.id
      ? { stdout: `${LONG_LOG}${STDOUT}\n` }
      : { stdout: `${STDOUT}\n` };
const workload = { name: 'cpu', plugin: 'shell', options: { command: 'my-bench --json' } };
const plan = (extra: Record<string, unknown> = {}) => ({
  name: 'cpu',
  hosts: { tags: { team: 'perf' } },
  repetitions: 2,
  setup: ['mkdir -p /tmp/bench'],
  teardown: ['rm -rf /tmp/bench'],
  workloads: [{ ...workload, setup: ['echo setup'], teardown: ['echo teardown'] }],
  ...extra,
});

let stack: ResolvedStack;
const verdicts: Verdict[] = [];

beforeAll(() => {
  // With a retention, so that the reconciler's purge (granted only then) is rehearsed too.
  stack = synthesizeResolvedStack({ runRetention: Duration.days(30) });
});

/** Runs a scenario on a fresh fake account; its requests join the file's recording. */
async function scenario(
  work: (aws: FakeAws) => Promise<void>,
  options: { readonly runRetentionSeconds?: number } = {},
): Promise<void> {
  const aws = await FakeAws.start({ instances: fleet(3), ...options });
  aws.behaviour = answer;
  try {
    await work(aws);
    await aws.idle();
    expect(aws.asyncErrors).toEqual([]);
  } finally {
    await aws.stop();
  }
}

async function runIdOf(aws: FakeAws): Promise<string> {
  let runId = '';
  await aws.until(async () => {
    runId = (await aws.db.catalog.list({ limit: 1 }))[0]?.runId ?? '';
    return runId !== '';
  }, 'the run to be planned');
  return runId;
}

async function denials(): Promise<string[]> {
  const start = verdicts.length;
  for (const request of distinct(recordedRequests.splice(0))) verdicts.push(await evaluate(stack, request));
  return verdicts
    .slice(start)
    .filter((v) => v.result !== 'Allowed')
    .map(describeDenial);
}

describe('IAM rehearsal: every request the workflows make is allowed by the synthesized policies', () => {
  it('lockstep with global and workload setups and teardowns, a long output copied to S3, then the reconciler', async () => {
    await scenario(async (aws) => {
      const arn = aws.startExecution({ plan: plan() }, 'lockstep');
      await aws.execution(arn).done;
      expect(aws.execution(arn).status).toBe('SUCCEEDED');
      await aws.runReconciler();
    });

    expect(await denials()).toEqual([]);
  });

  it('the reconciler purging, past the retention, a run that ended', async () => {
    await scenario(
      async (aws) => {
        const arn = aws.startExecution({ plan: plan() }, 'retained');
        await aws.execution(arn).done;
        const runId = await runIdOf(aws);
        // A retention of a millisecond: the run ended longer ago than that by the time the reconciler runs.
        const result = (await aws.runReconciler()) as { purgedRuns: string[] };
        expect(result.purgedRuns).toEqual([runId]);
        expect(await aws.db.journal.getRun(runId)).toBeUndefined();
      },
      { runRetentionSeconds: 0.001 },
    );

    expect(await denials()).toEqual([]);
  });

  it('free: one Distributed Map child execution per host, tokens completed from the children', async () => {
    await scenario(async (aws) => {
      const arn = aws.startExecution({ plan: plan({ strategy: 'free' }) }, 'free');
      await aws.execution(arn).done;
      expect(aws.execution(arn).status).toBe('SUCCEEDED');
    });

    expect(await denials()).toEqual([]);
  });

  it('a graceful stop during a repetition then a resume, and a forced stop', async () => {
    await scenario(async (aws) => {
      aws.behaviour = (c, i) => (c.commandId === 'a1.repetition.cpu.2' ? { hold: true } : answer(c, i));
      const arn = aws.startExecution({ plan: plan() }, 'graceful');
      const runId = await runIdOf(aws);
      await aws.until(() => aws.stepsSent.has('a1.repetition.cpu.2'), 'repetition 2 to be sent');
      await asPrincipal('cli', () =>
        sendStopRequest(aws.runtime.clients.events, BUS, { runId, requestedBy: 'cli:alice', reason: 'r' }),
      );
      await aws.execution(arn).done;
      await aws.idle();
      // Then resumed: a new execution finishes what the stop left.
      aws.behaviour = answer;
      const resumed = aws.startExecution({ resume: { runId } }, 'resumed');
      await aws.execution(resumed).done;
      expect(aws.execution(resumed).status).toBe('SUCCEEDED');
    });
    await scenario(async (aws) => {
      aws.behaviour = (c, i) => (c.commandId === 'a1.repetition.cpu.1' ? { hold: true } : answer(c, i));
      const arn = aws.startExecution({ plan: plan() }, 'forced');
      const runId = await runIdOf(aws);
      await aws.until(() => aws.stepsSent.has('a1.repetition.cpu.1'), 'repetition 1 to be sent');
      await asPrincipal('cli', () =>
        sendStopRequest(aws.runtime.clients.events, BUS, {
          runId,
          requestedBy: 'cli:bob',
          reason: 'r',
          force: true,
        }),
      );
      await aws.until(() => aws.execution(arn).status !== 'RUNNING', 'the execution to stop');
      await aws.idle();
    });

    expect(await denials()).toEqual([]);
  });

  it('the CLI user of docs/cli-user-policy.json: run, show (a task’s outputs too), status, runs, events, stop, rm, rm --purge, rm --older-than', async () => {
    await scenario((aws) =>
      withCli(aws, async (cli, planPath) => {
        const ran = await cli(['run', planPath, '--json']);
        expect(ran.code).toBe(0);
        const runId = (JSON.parse(ran.stdout) as { runId: string }).runId;
        for (const args of [
          ['show', runId],
          ['show', runId, '--output', 'perf-002::cpu::1'],
          ['show', runId, '--output', 'perf-001::cpu::2'],
          ['status', runId],
          ['runs'],
          ['events', runId],
        ])
          expect((await cli(args)).code).toBe(0);
      }),
    );
    await scenario((aws) =>
      withCli(aws, async (cli, planPath) => {
        aws.behaviour = (c, i) => (c.commandId === 'a1.repetition.cpu.1' ? { hold: true } : answer(c, i));
        const detached = await cli(['run', planPath, '--detach']);
        expect(detached.code).toBe(0);
        await aws.until(() => aws.stepsSent.has('a1.repetition.cpu.1'), 'repetition 1 to be sent');
        const stopped = await cli(['stop', await runIdOf(aws), '--wait']);
        expect(stopped.stderr).toBe('');
        expect(stopped.code).toBe(0);
      }),
    );
    await scenario((aws) =>
      withCli(aws, async (cli, planPath) => {
        const ran = await cli(['run', planPath, '--json']);
        const runId = (JSON.parse(ran.stdout) as { runId: string }).runId;
        // Removed, then purged of what the removal kept: every request of both paths.
        expect((await cli(['rm', runId])).code).toBe(0);
        const purged = await cli(['rm', runId, '--purge']);
        expect(purged.stderr).toBe('');
        expect(purged.code).toBe(0);
        // And a run selected by its age: the catalog's index read by cutoff.
        expect((await cli(['run', planPath])).code).toBe(0);
        const aged = await cli(['rm', '--older-than', '1ms', '--purge']);
        expect(aged.stderr).toBe('');
        expect(aged.stdout).toMatch(/^Purged run /);
      }),
    );

    expect(await denials()).toEqual([]);
  });

  it('a bring-your-own host role with docs/host-role-policy.json allows what the stack’s host role is asked', async () => {
    const asked = distinct(verdicts.filter((v) => v.request.principal === 'host').map((v) => v.request));
    const own: ResolvedStack = {
      ...stack,
      principals: {
        ...stack.principals,
        host: {
          arn: 'arn:aws:iam::123456789012:role/my-bench-hosts',
          identityPolicies: [{ name: 'fleetbench-outputs', policy: hostRolePolicy() }],
          managedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
        },
      },
    };

    const denied: string[] = [];
    for (const request of asked) {
      const verdict = await evaluate(own, request);
      if (verdict.result !== 'Allowed') denied.push(describeDenial(verdict));
    }

    expect(asked.map((r) => r.action).sort()).toEqual(
      expect.arrayContaining(['s3:GetEncryptionConfiguration', 's3:PutObject', 's3:PutObjectAcl']),
    );
    expect(denied).toEqual([]);
  });
});

/** Runs `work` with a CLI whose requests are the CLI user's, in a throwaway home, on `aws`'s stack. */
async function withCli(
  aws: FakeAws,
  work: (cli: (args: string[]) => Promise<CliResult>, planPath: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetbench-iam-cli-'));
  for (const [key, value] of Object.entries({
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: aws.db.endpoint,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
  }))
    vi.stubEnv(key, value);
  try {
    const planPath = join(dir, 'plan.yaml');
    await writeFile(planPath, JSON.stringify(plan()));
    const env = { AWS_REGION: REGION, FLEETBENCH_POLL_MS: '5', FLEETBENCH_HOME: join(dir, '.fleetbench') };
    await work(
      (args) => asPrincipal('cli', () => runCli([...args, '--target', 'aws'], { env, cwd: dir })),
      planPath,
    );
  } finally {
    vi.unstubAllEnvs();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('IAM rehearsal: the reverse', () => {
  it.each([
    'function:planRun',
    'function:runCommand',
    'function:onInvocationStatus',
    'function:stopRun',
    'function:finalizeRun',
    'function:reconcile',
    'stateMachine',
    'host',
    'cli',
  ] as const)('%s is granted no action that no request used, beyond the commented exceptions', (principal) => {
    const used = new Set(
      verdicts.filter((v) => v.request.principal === principal).map((v) => v.request.action),
    );
    const excused = allowedUnused(principal);
    const unused = [...grantedActions(stack, principal)].filter((a) => !used.has(a) && !(a in excused));

    expect(unused).toEqual([]);
  });

  it('records what each principal requested, for the construct tests to expect', async () => {
    const requested = verdicts.map((v) => v.request);

    await expect(formatRehearsedActions(requested)).toMatchFileSnapshot(REHEARSED_ACTIONS_PATH);
  });
});

describe('IAM rehearsal: the simulator stays out of what ships', () => {
  it('no file of lib/, lambdas/ or bin/ imports @cloud-copilot/iam-simulate', () => {
    const root = join(import.meta.dirname, '..', '..');
    const files = ['lib', 'lambdas', 'bin'].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.(ts|js)$/.test(f))
        .map((f) => join(root, dir, f)),
    );

    expect(files.filter((f) => readFileSync(f, 'utf8').includes('@cloud-copilot'))).toEqual([]);
  });
});
