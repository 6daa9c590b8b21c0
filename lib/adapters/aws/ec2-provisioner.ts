/**
 * Launches a run's ephemeral hosts (`hosts: {provision}`) and waits until they can take commands:
 *
 * 1. the AMI: an id as given, or an SSM parameter path (the public `/aws/service/…` ones) read with GetParameter;
 * 2. one RunInstances per host, a few at once, each with its own Name (`fleetbench-<runId>-<n>`, which IAM
 *    lets only RunInstances itself set) and the tags the stack's IAM requires (`fleetbench:managed=true`,
 *    `fleetbench:run`, `fleetbench=true`), the stack's instance profile, IMDSv2, and shutdown = terminate;
 *    the ClientToken is derived from (run, attempt, host), so a retried PlanRun gets the same instances back
 *    instead of a second fleet;
 * 3. wait until each instance is running and its SSM agent Online, up to a deadline (default 10 minutes);
 *    hosts that are not ready by then are returned anyway and the connectivity check says why.
 *
 * Nothing leaks: if a launch or a wait fails, every instance of the run this stack launched is terminated
 * before the typed error (HostCapacityError with the AWS code and a hint, or HostProvisioningError) is thrown.
 * Each step is reported to `onHostState`, which the use case records as the host's lifecycle.
 */
import { createHash } from 'node:crypto';
import {
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import {
  HostCapacityError,
  type HostObservation,
  HostProvisioningError,
  type ProvisioningFailure,
} from '../../core/host-lifecycle.js';
import type { HostsSpec } from '../../core/plan.js';
import type { Clock, ResolveHostsOptions } from '../../core/ports.js';
import type { Host } from '../../core/run.js';
import { provisionedHostName } from './ec2-host-names.js';
import { isNotFoundYet, type ManagedInstances } from './ec2-managed-instances.js';
import { describeAgents, describeInstances, EC2_ID_BATCH } from './ec2-queries.js';
import { managedTags } from './ec2-tags.js';
import { chunk, errorName, isThrottling, type RetryPolicy, withRetry } from './retry.js';

export type ProvisionSpec = Extract<HostsSpec, { provision: unknown }>['provision'];

/** How long hosts get to be running with their SSM agent Online. */
export const DEFAULT_READY_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_POLL_INTERVAL_MS = 5_000;
/** RunInstances calls in flight at once: fast for big fleets, far below EC2's request-rate limits. */
const DEFAULT_LAUNCH_CONCURRENCY = 8;

const CAPACITY_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
]);
const QUOTA_CODES = new Set([
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'VolumeLimitExceeded',
  'SpotMaxPriceTooLow',
]);
const DENIED_CODES = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

const HINTS: Record<ProvisioningFailure, string> = {
  capacity:
    'retry later, choose another instance type, or another subnet (Availability Zone); for spot, on-demand capacity is often available',
  quota:
    'lower provision.count, terminate instances you no longer need, or raise the EC2 quota in Service Quotas (e.g. "Running On-Demand Standard instances", counted in vCPUs)',
  unsupported:
    'the instance type may not be offered in that Availability Zone or may not match the AMI architecture (x86_64 vs arm64): try another subnet or instance type',
  invalid:
    'check provision.ami, subnetId and securityGroupIds: they must exist in the region the stack runs in (AWS_REGION)',
  denied:
    'the plan-run function may not do this: redeploy the stack (`npx cdk deploy`); an AMI parameter must be under /aws/service/',
  other:
    'see the AWS error code; every launched instance was terminated, so the run can simply be started again',
};

/**
 * The RunInstances ClientToken of one host: the same run, attempt and host always give the same token, so
 * EC2 returns the instance it already launched instead of launching another (≤ 64 characters).
 * @example
 * clientToken('cpu-20250102-030405-ab12', 1, 3); // 'fleetbench-' + 40 hex characters
 */
export function clientToken(runId: string, attempt: number, index: number): string {
  const digest = createHash('sha256').update(`${runId}\0${attempt}\0${index}`).digest('hex');
  return `fleetbench-${digest.slice(0, 40)}`;
}

/** The failure an AWS error code stands for. */
export function classifyProvisioningError(code: string | undefined): ProvisioningFailure {
  if (code === undefined) return 'other';
  if (CAPACITY_CODES.has(code)) return 'capacity';
  if (QUOTA_CODES.has(code)) return 'quota';
  if (code.startsWith('Unsupported')) return 'unsupported';
  if (DENIED_CODES.has(code)) return 'denied';
  if (/^(Invalid|Missing|ParameterNotFound|IdempotentParameterMismatch)/.test(code)) return 'invalid';
  return 'other';
}

type Launched = Host & { readonly index: number };
type Notify = (observation: HostObservation) => Promise<void>;

export type Ec2ProvisionerOptions = {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly instances: ManagedInstances;
  /** The stack's host instance profile (stack output InstanceProfileArn). */
  readonly instanceProfileArn?: string;
  readonly readyTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly launchConcurrency?: number;
};

/**
 * @example
 * const provisioner = new Ec2Provisioner({ ec2, ssm, retry, clock, instances, instanceProfileArn });
 * const hosts = await provisioner.provision(runId, plan.hosts.provision, { attempt: 1, onHostState });
 */
export class Ec2Provisioner {
  readonly #o: Required<Omit<Ec2ProvisionerOptions, 'instanceProfileArn'>> &
    Pick<Ec2ProvisionerOptions, 'instanceProfileArn'>;

  constructor(options: Ec2ProvisionerOptions) {
    this.#o = {
      readyTimeoutMs: DEFAULT_READY_TIMEOUT_MS,
      pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
      launchConcurrency: DEFAULT_LAUNCH_CONCURRENCY,
      ...options,
    };
  }

  async provision(runId: string, spec: ProvisionSpec, options: ResolveHostsOptions = {}): Promise<Host[]> {
    const profileArn = this.#o.instanceProfileArn;
    if (!profileArn) {
      throw new HostProvisioningError(
        'cannot provision hosts: no instance profile is configured',
        'invalid',
        undefined,
        {
          hint: 'set FLEETBENCH_INSTANCE_PROFILE_ARN to the stack output InstanceProfileArn (the stack does it for its functions)',
        },
      );
    }
    const notify: Notify = options.onHostState ?? (async () => {});
    const imageId = await this.#resolveImage(spec.ami);
    const launched: Launched[] = [];
    try {
      await this.#launchAll(runId, options.attempt ?? 1, spec, imageId, profileArn, launched, notify);
      return await this.#waitReady(launched, notify);
    } catch (error) {
      const cleanup = await this.#terminateAll(runId, launched, error, notify);
      throw this.#failure(spec, error, cleanup);
    }
  }

  async #resolveImage(ami: string): Promise<string> {
    if (!ami.startsWith('/')) return ami;
    try {
      const out = await withRetry(
        () => this.#o.ssm.send(new GetParameterCommand({ Name: ami })),
        isThrottling,
        this.#o.retry,
      );
      const value = out.Parameter?.Value ?? '';
      if (!/^ami-[0-9a-f]+$/.test(value)) {
        throw new HostProvisioningError(
          `SSM parameter ${ami} does not hold an AMI id (it holds ${JSON.stringify(value.slice(0, 40))})`,
          'invalid',
          undefined,
          {
            hint: 'use an AMI parameter such as /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
          },
        );
      }
      return value;
    } catch (error) {
      if (error instanceof HostProvisioningError) throw error;
      const code = errorName(error);
      const failure = classifyProvisioningError(code);
      throw new HostProvisioningError(
        `cannot read the AMI id from SSM parameter ${ami}: ${code ?? 'error'}: ${(error as Error).message}`,
        failure,
        code,
        {
          hint:
            code === 'ParameterNotFound'
              ? 'check the path and the region: aws ssm get-parameters-by-path --path /aws/service/ami-amazon-linux-latest'
              : HINTS[failure],
          cause: error,
        },
      );
    }
  }

  /** One RunInstances per host, `launchConcurrency` at once; the first failure stops further launches. */
  async #launchAll(
    runId: string,
    attempt: number,
    spec: ProvisionSpec,
    imageId: string,
    profileArn: string,
    launched: Launched[],
    notify: Notify,
  ): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < spec.count) {
        next += 1;
        const index = next;
        try {
          launched.push(await this.#launchOne(runId, attempt, index, spec, imageId, profileArn, notify));
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.launchConcurrency, spec.count) }, worker));
    launched.sort((a, b) => a.index - b.index);
    if (failure) throw failure.error;
  }

  async #launchOne(
    runId: string,
    attempt: number,
    index: number,
    spec: ProvisionSpec,
    imageId: string,
    profileArn: string,
    notify: Notify,
  ): Promise<Launched> {
    const name = provisionedHostName(runId, index, spec.count);
    const tags = managedTags(runId, name);
    const input: RunInstancesCommandInput = {
      ImageId: imageId,
      InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      ClientToken: clientToken(runId, attempt, index),
      IamInstanceProfile: { Arn: profileArn },
      // A host that shuts itself down is gone for good instead of a stopped instance nobody remembers.
      InstanceInitiatedShutdownBehavior: 'terminate',
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
        ...(spec.spot ? [{ ResourceType: 'spot-instances-request' as const, Tags: tags }] : []),
      ],
      ...(spec.subnetId ? { SubnetId: spec.subnetId } : {}),
      ...(spec.securityGroupIds?.length ? { SecurityGroupIds: spec.securityGroupIds } : {}),
      ...(spec.spot
        ? {
            InstanceMarketOptions: {
              MarketType: 'spot',
              SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
            },
          }
        : {}),
    };
    const requestedAt = this.#o.clock.now().toISOString();
    const out = await withRetry(
      () => this.#o.ec2.send(new RunInstancesCommand(input)),
      isThrottling,
      this.#o.retry,
    );
    const instance = out.Instances?.[0];
    if (!instance?.InstanceId) throw new Error('RunInstances returned no instance');
    const host: Launched = { id: instance.InstanceId, name, index };
    const details = {
      instanceType: spec.instanceType,
      imageId,
      spot: spec.spot === true,
      ...(instance.LaunchTime ? { launchedAt: instance.LaunchTime.toISOString() } : {}),
    };
    const what = `RunInstances ${spec.instanceType}${spec.spot ? ' (spot)' : ''} ${imageId}`;
    await notify({ instanceId: host.id, name, state: 'REQUESTED', at: requestedAt, reason: what, details });
    await notify({
      instanceId: host.id,
      name,
      state: 'PENDING',
      at: this.#o.clock.now().toISOString(),
      reason: 'launched',
    });
    return host;
  }

  /** Polls until every host is running with its agent Online (or gave up), or the deadline passes. */
  async #waitReady(launched: readonly Launched[], notify: Notify): Promise<Host[]> {
    const deadline = this.#o.clock.now().getTime() + this.#o.readyTimeoutMs;
    const addresses = new Map<string, string>();
    const running = new Set<string>();
    const online = new Set<string>();
    const failed = new Set<string>();
    const observe = (host: Host, state: HostObservation['state'], reason: string, address?: string) =>
      notify({
        instanceId: host.id,
        name: host.name,
        state,
        at: this.#o.clock.now().toISOString(),
        reason,
        ...(address ? { details: { address } } : {}),
      });
    for (;;) {
      const starting = launched.filter((h) => !running.has(h.id) && !failed.has(h.id));
      for (const batch of chunk(
        starting.map((h) => h.id),
        EC2_ID_BATCH,
      )) {
        const instances = await describeInstances(
          this.#o.ec2,
          { InstanceIds: batch },
          this.#o.retry,
          (error) => isThrottling(error) || isNotFoundYet(error),
        );
        for (const instance of instances) {
          const host = launched.find((h) => h.id === instance.InstanceId);
          if (!host) continue;
          const state = instance.State?.Name;
          if (state === 'running') {
            running.add(host.id);
            if (instance.PrivateIpAddress) addresses.set(host.id, instance.PrivateIpAddress);
            await observe(host, 'RUNNING', 'instance running', instance.PrivateIpAddress);
          } else if (state !== 'pending') {
            failed.add(host.id);
            await observe(host, 'FAILED', launchFailure(instance));
          }
        }
      }
      const registering = launched.filter((h) => running.has(h.id) && !online.has(h.id));
      if (registering.length > 0) {
        const agents = await describeAgents(
          this.#o.ssm,
          registering.map((h) => h.id),
          this.#o.retry,
        );
        for (const host of registering) {
          if (agents.get(host.id)?.PingStatus !== 'Online') continue;
          online.add(host.id);
          await observe(host, 'SSM_ONLINE', 'SSM agent Online');
        }
      }
      if (launched.every((h) => online.has(h.id) || failed.has(h.id))) break;
      if (this.#o.clock.now().getTime() >= deadline) break;
      await this.#o.clock.sleep(this.#o.pollIntervalMs);
    }
    return launched.map(({ id, name }) => {
      const address = addresses.get(id);
      return address ? { id, name, address } : { id, name };
    });
  }

  /**
   * Terminates every instance of the run this stack launched: those this call launched, and any other the
   * run's tag finds (a launch whose response was lost). Returns what could not be cleaned up, if anything.
   */
  async #terminateAll(
    runId: string,
    launched: readonly Launched[],
    cause: unknown,
    notify: Notify,
  ): Promise<{ terminated: number; error?: unknown }> {
    const hosts = new Map<string, Host>(launched.map((h) => [h.id, { id: h.id, name: h.name }]));
    try {
      for (const found of await this.#o.instances.list(runId))
        if (found.status === 'active' && !hosts.has(found.id)) hosts.set(found.id, found);
    } catch (error) {
      // The launched ids are still known: terminate those, and say the rest is the reconciler's.
      if (hosts.size === 0) return { terminated: 0, error };
    }
    if (hosts.size === 0) return { terminated: 0 };
    const code = errorName(cause);
    const reason = `provisioning failed: ${code ?? (cause as Error).message}`;
    for (const host of hosts.values()) {
      if (launched.some((l) => l.id === host.id))
        await notify({
          instanceId: host.id,
          name: host.name,
          state: 'FAILED',
          at: this.#o.clock.now().toISOString(),
          reason,
        }).catch(() => {});
    }
    try {
      await this.#o.instances.terminate([...hosts.values()], {
        reason,
        onHostState: (o) => notify(o).catch(() => {}),
      });
      return { terminated: hosts.size };
    } catch (error) {
      return { terminated: 0, error };
    }
  }

  #failure(
    spec: ProvisionSpec,
    error: unknown,
    cleanup: { terminated: number; error?: unknown },
  ): HostProvisioningError {
    const left =
      cleanup.error === undefined
        ? cleanup.terminated > 0
          ? `; the ${cleanup.terminated} instance(s) already launched were terminated`
          : '; no instance was launched'
        : `; terminating the launched instances failed (${errorName(cleanup.error) ?? String(cleanup.error)}): the reconciler terminates them within 20 minutes`;
    if (error instanceof HostProvisioningError) {
      return new HostProvisioningError(`${error.message}${left}`, error.failure, error.awsCode, {
        ...(error.hint ? { hint: error.hint } : {}),
        cause: error,
      });
    }
    const code = errorName(error);
    const failure = classifyProvisioningError(code);
    const what = `${spec.count} × ${spec.instanceType}${spec.spot ? ' (spot)' : ''}`;
    const message = `cannot provision ${what}: ${code ?? 'error'}: ${(error as Error).message ?? String(error)}${left}`;
    const Kind = failure === 'capacity' || failure === 'quota' ? HostCapacityError : HostProvisioningError;
    return new Kind(message, failure, code, { hint: HINTS[failure], cause: error });
  }
}

function launchFailure(instance: Instance): string {
  const reason = instance.StateReason?.Message ?? instance.StateReason?.Code ?? 'no reason given';
  return `instance ${instance.State?.Name ?? 'in an unknown state'} during launch: ${reason}`;
}
