/**
 * `npm run smoke:aws`: the first-deploy smoke test, on a real account. What the offline tests cannot show
 * (docs/aws.md, "What is rehearsed offline"), this shows in about 15 minutes for a few cents:
 *
 * 1. the plan (examples/aws-smoke.yaml) is validated, then the credentials and the region — before any call;
 * 2. the stack is deployed when it is missing or not in a *_COMPLETE state (`cdk bootstrap` first when the
 *    region has no CDK toolkit);
 * 3. run 1 — the plan as is, on one instance launched for it: it must end FINISHED, every task COMPLETED
 *    with metrics, its instance terminated; its CloudEvents must reach the run-event log, and its tasks the
 *    dashboard's metrics;
 * 4. run 2 — the same setup and teardown with a workload that holds, stopped mid-repetition by the
 *    `Stop Requested` event (`fleetbench stop`): it must end ABORTED with the repetition CANCELLED;
 * 5. every instance either run launched is terminated (the runs do it; this checks, and finishes the job
 *    if a run could not), and what the two runs cost is printed.
 *
 * It drives the real CLI (`fleetbench run/show/events/stop --target aws`) as a user would, so what it
 * checks is what users get. Exit codes: 0 all checks passed, 1 a check failed, 2 invalid input (a bad
 * plan, no credentials, no region), with one line saying how to fix it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { stringify } from 'yaml';
import { Ec2HostProvider } from '../lib/adapters/aws/ec2-host-provider.js';
import type { ProvisionSpec } from '../lib/adapters/aws/ec2-provisioner.js';
import { FLEETBENCH_METRICS } from '../lib/adapters/aws/metrics-event-publisher.js';
import { errorName } from '../lib/adapters/aws/retry.js';
import { DEFAULT_STACK_NAME, readStackOutputs } from '../lib/adapters/aws/stack-outputs.js';
import { reportError } from '../lib/cli/errors.js';
import { type Io, processIo } from '../lib/cli/io.js';
import { readPlanFile } from '../lib/cli/plan-file.js';
import type { RunView } from '../lib/cli/run-view.js';
import { isTerminal } from '../lib/core/controller-state.js';
import { EngineError, UsageError } from '../lib/core/errors.js';
import type { HostRecord } from '../lib/core/host-lifecycle.js';
import type { Plan } from '../lib/core/plan.js';
import { newRunId } from '../lib/core/task-key.js';

// As the CLI does: the SDK's Node.js support notice is not the smoke test's to print.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'bin/fleetbench.js');
export const SMOKE_PLAN = 'examples/aws-smoke.yaml';

/**
 * On-demand Linux list prices (USD per hour, us-east-1, read 2026-12-06 from aws.amazon.com/ec2/pricing/on-demand)
 * of the instance types a smoke plan is expected to use; any other type is reported in instance-minutes only.
 */
const EC2_HOURLY_USD: Readonly<Record<string, number>> = {
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't4g.micro': 0.0084,
  't4g.small': 0.0168,
};

/** A check of the smoke test did not hold: what was expected, and what the account showed. */
export class SmokeCheckError extends EngineError {}

type Options = { readonly plan: string; readonly stack: string; readonly deploy: boolean };

function parseArgs(argv: readonly string[], env: Io['env']): Options {
  let plan = SMOKE_PLAN;
  let stack = env.FLEETBENCH_STACK ?? DEFAULT_STACK_NAME;
  let deploy = true;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined)
        throw new UsageError(`${arg} needs a value`, { hint: 'npm run smoke:aws -- --help' });
      i += 1;
      return next;
    };
    if (arg === '--plan') plan = value();
    else if (arg === '--stack') stack = value();
    else if (arg === '--no-deploy') deploy = false;
    else
      throw new UsageError(`unknown option ${arg}`, {
        hint: 'npm run smoke:aws [-- --plan <file>] [--stack <name>] [--no-deploy]',
      });
  }
  return { plan, stack, deploy };
}

/** The smoke plan must launch its hosts: the run checks their whole lifecycle and their cost. */
function provisionOf(plan: Plan, path: string): ProvisionSpec {
  if (!('provision' in plan.hosts)) {
    throw new UsageError(`${path}: the smoke test needs hosts: {provision: {...}}`, {
      hint: `launch one small instance for the run, as ${SMOKE_PLAN} does`,
    });
  }
  return plan.hosts.provision;
}

/** The region, from the standard AWS environment. */
function regionOf(env: Io['env']): string {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new UsageError('no AWS region: the smoke test deploys and runs in the region AWS_REGION names', {
      hint: 'e.g. AWS_REGION=eu-west-1 npm run smoke:aws',
    });
  }
  return region;
}

/** Resolves the SDK's default credentials (env, profile, SSO, container, instance): refuses without any. */
async function assertCredentials(cloudformation: CloudFormationClient): Promise<void> {
  try {
    const credentials = await cloudformation.config.credentials();
    if (!credentials.accessKeyId) throw new Error('empty access key');
  } catch (error) {
    throw new UsageError(
      'no AWS credentials: the smoke test deploys a stack and launches an instance in a real account',
      {
        hint: 'set AWS_PROFILE (aws configure, aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run npm run smoke:aws again',
        cause: error,
      },
    );
  }
}

function step(io: Io, text: string): void {
  io.err(`\n== ${text}\n`);
}

function check(condition: boolean, what: string, seen: unknown): void {
  if (!condition) {
    throw new SmokeCheckError(`smoke check failed: ${what}; got ${JSON.stringify(seen)}`, {
      hint: 'see the run with `fleetbench show <runId> --target aws` and the Step Functions console',
    });
  }
}

/** `fleetbench <args>` as a child process, output captured; `inherit` shows its stderr (progress) to the user. */
async function fleetbench(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}

async function show(runId: string, env: NodeJS.ProcessEnv): Promise<RunView> {
  const out = await fleetbench(['show', runId, '--target', 'aws', '--json'], env);
  if (out.code !== 0) throw new SmokeCheckError(`fleetbench show ${runId} failed (exit ${out.code})`);
  try {
    return JSON.parse(out.stdout) as RunView;
  } catch (error) {
    throw new SmokeCheckError(
      `fleetbench show ${runId} --json printed no JSON: ${out.stdout.slice(0, 200)}`,
      { cause: error },
    );
  }
}

async function poll<T>(
  what: string,
  timeoutMs: number,
  everyMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new SmokeCheckError(`smoke check failed: ${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Deploys the stack when it is missing or not in a *_COMPLETE state (bootstrapping the region first if needed). */
async function ensureStack(
  io: Io,
  cloudformation: CloudFormationClient,
  options: Options,
  env: NodeJS.ProcessEnv,
) {
  const status = async (name: string) => {
    try {
      const out = await cloudformation.send(new DescribeStacksCommand({ StackName: name }));
      return out.Stacks?.[0]?.StackStatus;
    } catch (error) {
      if (errorName(error) === 'ValidationError') return undefined;
      throw error;
    }
  };
  const current = await status(options.stack);
  const usable = current !== undefined && /_COMPLETE$/.test(current) && !/^(ROLLBACK|DELETE)_/.test(current);
  if (usable) {
    io.err(`stack ${options.stack}: ${current}\n`);
    return;
  }
  if (!options.deploy) {
    throw new UsageError(`stack ${options.stack} is ${current ?? 'not deployed'} and --no-deploy was given`, {
      hint: 'leave out --no-deploy, or deploy it with npx cdk deploy',
    });
  }
  const cdk = (args: string[]) =>
    new Promise<void>((resolvePromise, reject) => {
      io.err(`$ npx cdk ${args.join(' ')}\n`);
      const child = spawn('npx', ['cdk', ...args], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolvePromise()
          : reject(new SmokeCheckError(`npx cdk ${args[0]} failed (exit ${code})`)),
      );
    });
  if ((await status('CDKToolkit')) === undefined) await cdk(['bootstrap']);
  await cdk(['deploy', '--require-approval', 'never', '-c', `stackName=${options.stack}`]);
}

/** The sum of a dashboard metric for one workload, with the dashboard's own SEARCH expression. */
async function metricSum(
  cloudwatch: CloudWatchClient,
  metric: string,
  workload: string,
  since: Date,
): Promise<number> {
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(since.getTime() - 5 * 60_000),
      EndTime: new Date(Date.now() + 5 * 60_000),
      MetricDataQueries: [
        {
          Id: 'm',
          Expression: `SEARCH('{${FLEETBENCH_METRICS.namespace},service,workload} MetricName="${metric}" workload="${workload}"', 'Sum', 60)`,
        },
      ],
    }),
  );
  return (out.MetricDataResults ?? []).flatMap((r) => r.Values ?? []).reduce((a, b) => a + b, 0);
}

/** Instance-seconds of each launched host, from its first record to its termination (or now). */
export function instanceSeconds(hosts: readonly HostRecord[], now: Date): number {
  return hosts.reduce((sum, host) => {
    const start = Date.parse(host.history[0]?.at ?? host.createdAt);
    const end = host.history.find((h) => h.to === 'TERMINATING' || h.to === 'TERMINATED')?.at;
    return sum + Math.max(0, ((end ? Date.parse(end) : now.getTime()) - start) / 1000);
  }, 0);
}

/** The plan of run 2: the smoke plan's hosts, setup and teardown, and one workload that holds until stopped. */
export function holdingPlan(plan: Plan): Record<string, unknown> {
  return {
    name: `${plan.name}-stop`,
    hosts: plan.hosts,
    repetitions: 1,
    timeouts: { task: '15m', stop: '2m' },
    setup: plan.setup,
    teardown: plan.teardown,
    workloads: [{ name: 'smoke-hold', plugin: 'shell', options: { command: 'sleep 600' } }],
  };
}

async function smoke(io: Io, argv: readonly string[]): Promise<void> {
  const options = parseArgs(argv, io.env);
  const planPath = resolve(io.cwd, options.plan);
  const plan = await readPlanFile(planPath, io.cwd);
  const provision = provisionOf(plan, options.plan);
  const region = regionOf(io.env);
  const cloudformation = new CloudFormationClient({ region });
  await assertCredentials(cloudformation);
  const env = { ...process.env, AWS_REGION: region, FLEETBENCH_STACK: options.stack, NO_COLOR: '1' };
  const started = new Date();
  // Chosen here, so the cleanup knows both runs whatever happens to them.
  const runIds = [
    newRunId(plan.name, started, Math.random),
    newRunId(`${plan.name}-stop`, started, Math.random),
  ] as const;
  const runs: RunView[] = [];
  const work = await mkdtemp(join(tmpdir(), 'fleetbench-smoke-'));
  let outputs: Awaited<ReturnType<typeof readStackOutputs>> | undefined;
  try {
    step(io, `stack ${options.stack} in ${region}`);
    await ensureStack(io, cloudformation, options, env);
    outputs = await readStackOutputs(cloudformation, options.stack);

    step(io, `run 1: ${options.plan} (launches ${provision.count} × ${provision.instanceType})`);
    const run1 = await fleetbench(['run', planPath, '--target', 'aws', '--run-id', runIds[0], '--json'], env);
    const first = await show(runIds[0], env);
    runs.push(first);
    check(run1.code === 0 && first.state === 'FINISHED', `run 1 (${first.runId}) ends FINISHED (exit 0)`, {
      exit: run1.code,
      state: first.state,
      reason: first.reason,
    });
    check(
      first.tasks.length > 0 &&
        first.tasks.every((t) => t.status === 'COMPLETED' && Object.keys(t.metrics).length > 0),
      'every task of run 1 COMPLETED with metrics',
      first.tasks.map((t) => [t.key, t.status, t.error]),
    );
    check(
      first.provisionedHosts.length === provision.count &&
        first.provisionedHosts.every((h) => h.state === 'TERMINATED' || h.state === 'TERMINATING'),
      'run 1 terminated the instance it launched',
      first.provisionedHosts.map((h) => [h.instanceId, h.state]),
    );

    step(io, `run 1: events in ${outputs.eventLogGroupName}`);
    const types = await poll('the run events reach the run-event log', 120_000, 5_000, async () => {
      const out = await fleetbench(['events', first.runId, '--target', 'aws', '--json'], env);
      const seen = new Set(
        out.stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { type: string }).type),
      );
      return seen.has('dev.fleetbench.run.finished') ? seen : undefined;
    });
    for (const type of [
      'dev.fleetbench.run.started',
      'dev.fleetbench.task.completed',
      'dev.fleetbench.run.finished',
    ])
      check(types.has(type), `run 1 published ${type}`, [...types]);

    step(io, 'run 1: dashboard metrics (CloudWatch takes a few minutes)');
    const cloudwatch = new CloudWatchClient({ region });
    for (const workload of first.workloads) {
      const expected = first.tasks.filter((t) => t.workload === workload).length;
      const sum = await poll(
        `${expected} TasksCompleted for ${workload} on the dashboard`,
        600_000,
        30_000,
        async () => {
          const value = await metricSum(cloudwatch, FLEETBENCH_METRICS.tasksCompleted, workload, started);
          return value >= expected ? value : undefined;
        },
      );
      io.err(`${workload}: ${sum} TasksCompleted\n`);
    }

    step(io, 'run 2: stopped mid-repetition with the Stop Requested event');
    const plan2 = join(work, 'aws-smoke-stop.yaml');
    await writeFile(plan2, stringify(holdingPlan(plan)));
    const runId = runIds[1];
    const detached = await fleetbench(['run', plan2, '--target', 'aws', '--run-id', runId, '--detach'], env);
    check(detached.code === 0, `run 2 (${runId}) starts`, { exit: detached.code });
    await poll('run 2 reaches its repetition', 900_000, 10_000, async () => {
      const view = await show(runId, env);
      check(!isTerminal(view.state), 'run 2 is still running before the stop', {
        state: view.state,
        reason: view.reason,
      });
      return view.tasks.some((t) => t.status === 'RUNNING') ? true : undefined;
    });
    const stop = await fleetbench(
      ['stop', runId, '--target', 'aws', '--reason', 'aws smoke: stop mid-repetition'],
      env,
    );
    check(stop.code === 0, 'fleetbench stop sends the Stop Requested event', { exit: stop.code });
    const second = await poll('run 2 ends after the stop', 600_000, 10_000, async () => {
      const view = await show(runId, env);
      return isTerminal(view.state) ? view : undefined;
    });
    runs.push(second);
    check(second.state === 'ABORTED', 'run 2 ends ABORTED', { state: second.state, reason: second.reason });
    check(second.stopRequest !== null, 'run 2 recorded the stop request', second.stopRequest);
    check(
      second.tasks.some((t) => t.status === 'CANCELLED'),
      'the repetition running at the stop was CANCELLED',
      second.tasks.map((t) => [t.key, t.status]),
    );
  } finally {
    step(io, 'instances');
    // A run a failed check left unread is read now, for its instances and its cost.
    for (const runId of runIds) {
      if (runs.some((r) => r.runId === runId)) continue;
      const view = await show(runId, env).catch(() => undefined);
      if (view) runs.push(view);
    }
    if (outputs) await terminateLeftovers(io, region, outputs.instanceProfileArn, runIds, runs);
    await rm(work, { recursive: true, force: true });
    printCost(io, runs);
  }
  io.out('aws smoke test passed\n');
}

/** Terminates whatever a run launched and did not terminate (a failed check must not leave an instance running). */
async function terminateLeftovers(
  io: Io,
  region: string,
  instanceProfileArn: string,
  runIds: readonly string[],
  runs: readonly RunView[],
) {
  const hosts = new Ec2HostProvider({
    ec2: new EC2Client({ region }),
    ssm: new SSMClient({ region }),
    instanceProfileArn,
  });
  const managed = await hosts.listManaged();
  for (const runId of runIds) {
    const left = managed.filter((h) => h.runId === runId && h.status === 'active');
    if (left.length > 0)
      await hosts.release(runId, [], { reason: 'aws smoke test: cleanup after a failed check' });
    const seen = runs.find((r) => r.runId === runId)?.provisionedHosts ?? [];
    const recorded = seen.map((h) => `${h.instanceId} ${h.state}`).join(', ') || 'no instance recorded';
    const cleanup =
      left.length > 0 ? `terminated ${left.map((h) => h.id).join(', ')}, left running` : 'none left running';
    io.err(`run ${runId}: ${recorded}; ${cleanup}\n`);
  }
}

function printCost(io: Io, runs: readonly RunView[]): void {
  if (runs.length === 0) return;
  const now = new Date();
  let total = 0;
  io.out('\nrun                                  instance-minutes   EC2 (on-demand list)\n');
  for (const run of runs) {
    const seconds = instanceSeconds(run.provisionedHosts, now);
    const types = new Set(run.provisionedHosts.map((h) => h.instanceType ?? ''));
    const hourly = types.size === 1 ? EC2_HOURLY_USD[[...types][0] ?? ''] : undefined;
    const usd = hourly === undefined ? undefined : (seconds / 3600) * hourly;
    total += usd ?? 0;
    io.out(
      `${run.runId.padEnd(36)} ${(seconds / 60).toFixed(1).padStart(16)}   ${usd === undefined ? 'price unknown' : `$${usd.toFixed(4)}`}\n`,
    );
  }
  io.out(
    `EC2 total: $${total.toFixed(4)} (billed per second, 60 s minimum). The serverless side (Step Functions, Lambda, ` +
      'DynamoDB, EventBridge, logs) is under a cent per run: `fleetbench validate <plan>` projects it.\n',
  );
}

async function main(): Promise<void> {
  const io = processIo();
  const debug = process.argv.includes('--debug');
  try {
    await smoke(
      io,
      process.argv.slice(2).filter((a) => a !== '--debug'),
    );
    process.exitCode = 0;
  } catch (error) {
    process.exitCode = reportError(io, error, debug);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
