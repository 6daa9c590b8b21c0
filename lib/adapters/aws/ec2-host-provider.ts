/**
 * HostProvider on EC2 + SSM (the seed's ConnectivityService): resolves a plan's `hosts` to instances —
 * `{instanceIds}` as given, `{tags}` as every running instance carrying them, `{provision}` as a fleet it
 * launches for the run (ec2-provisioner.ts) — and checks each can take commands: it must run, carry the
 * `fleetbench=true` tag the stack's IAM policy requires for SendCommand, and have an SSM agent that is
 * Online. Hosts that fail a check are reported with the reason, and the use case leaves them out of the run.
 * It ends only what it launched (`fleetbench:managed=true` with the stack's instance profile,
 * ec2-managed-instances.ts): `release` at the end of a run, `terminate` for hosts left out or orphaned.
 */
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { InstanceInformation, SSMClient } from '@aws-sdk/client-ssm';
import { UsageError } from '../../core/errors.js';
import type { Plan } from '../../core/plan.js';
import type {
  Clock,
  HostProvider,
  ManagedHost,
  ReleaseHostsOptions,
  ResolveHostsOptions,
} from '../../core/ports.js';
import type { Host } from '../../core/run.js';
import { systemClock } from '../system-clock.js';
import { nameInstances } from './ec2-host-names.js';
import { ManagedInstances } from './ec2-managed-instances.js';
import { Ec2Provisioner } from './ec2-provisioner.js';
import { describeAgents, describeInstances, EC2_ID_BATCH } from './ec2-queries.js';
import { FLEETBENCH_TAG, NAME_TAG_KEY, tagValue } from './ec2-tags.js';
import { chunk, errorName, type RetryOverrides, type RetryPolicy, retryPolicy } from './retry.js';

export { FLEETBENCH_TAG } from './ec2-tags.js';

type Unreachable = { host: Host; reason: string };

/**
 * @example
 * const hosts = new Ec2HostProvider({ ec2: clients.ec2, ssm: clients.ssm, instanceProfileArn: config.instanceProfileArn });
 * const resolved = await hosts.resolve(runId, { tags: { team: 'perf' } });
 * const { reachable, unreachable } = await hosts.checkConnectivity(resolved);
 */
export class Ec2HostProvider implements HostProvider {
  readonly #ec2: EC2Client;
  readonly #ssm: SSMClient;
  readonly #retry: RetryPolicy;
  readonly #managed: ManagedInstances;
  readonly #provisioner: Ec2Provisioner;

  constructor(options: {
    readonly ec2: EC2Client;
    readonly ssm: SSMClient;
    readonly retry?: RetryOverrides;
    /** Polling and deadlines of provisioning; tests pass a fake one. */
    readonly clock?: Clock;
    /** The stack's host instance profile: given to launched hosts, and how this stack's hosts are told apart. */
    readonly instanceProfileArn?: string;
    /** How long provisioned hosts get to be running with their SSM agent Online. @default 10 minutes */
    readonly readyTimeoutMs?: number;
    readonly pollIntervalMs?: number;
  }) {
    this.#ec2 = options.ec2;
    this.#ssm = options.ssm;
    this.#retry = retryPolicy(options.retry);
    const clock = options.clock ?? systemClock;
    const profile = options.instanceProfileArn ? { instanceProfileArn: options.instanceProfileArn } : {};
    this.#managed = new ManagedInstances({ ec2: this.#ec2, retry: this.#retry, clock, ...profile });
    this.#provisioner = new Ec2Provisioner({
      ec2: this.#ec2,
      ssm: this.#ssm,
      retry: this.#retry,
      clock,
      instances: this.#managed,
      ...profile,
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    });
  }

  async resolve(runId: string, hosts: Plan['hosts'], options: ResolveHostsOptions = {}): Promise<Host[]> {
    if ('instanceIds' in hosts) {
      const ids = [...new Set(hosts.instanceIds)];
      const found = new Map((await this.#byIds(ids)).map((i) => [i.InstanceId ?? '', i]));
      return named(ids.map((id) => found.get(id) ?? { InstanceId: id }));
    }
    if ('tags' in hosts) {
      const instances = await this.#byTags(hosts.tags);
      if (instances.length === 0) {
        throw new UsageError(`no running instance has the tags ${formatTags(hosts.tags)}`, {
          hint: 'check the tags and the region (AWS_REGION), or list the instances with `hosts: {instanceIds: [...]}`',
        });
      }
      return named(instances.sort((a, b) => (a.InstanceId ?? '').localeCompare(b.InstanceId ?? '')));
    }
    if ('provision' in hosts) return this.#provisioner.provision(runId, hosts.provision, options);
    throw new UsageError('local hosts cannot run on the aws target', {
      hint: 'use hosts: {instanceIds: [...]}, {tags: {...}} or {provision: {...}}, or run with the local target',
    });
  }

  async checkConnectivity(
    hosts: readonly Host[],
  ): Promise<{ reachable: Host[]; unreachable: Unreachable[] }> {
    const instances = new Map(
      (await this.#byIds(hosts.map((h) => h.id))).map((i) => [i.InstanceId ?? '', i]),
    );
    const agents = await describeAgents(
      this.#ssm,
      hosts.map((h) => h.id),
      this.#retry,
    );
    const reachable: Host[] = [];
    const unreachable: Unreachable[] = [];
    for (const host of hosts) {
      const reason = unreachableReason(instances.get(host.id), agents.get(host.id));
      if (reason) unreachable.push({ host, reason });
      else reachable.push(host);
    }
    return { reachable, unreachable };
  }

  /** Terminates every instance this stack launched for the run; hosts the user brought are never touched. */
  async release(runId: string, hosts: readonly Host[], options?: ReleaseHostsOptions): Promise<void> {
    const names = new Map(hosts.map((h) => [h.id, h.name]));
    const live = (await this.#managed.list(runId))
      .filter((h) => h.status === 'active')
      .map((h) => ({ id: h.id, name: names.get(h.id) ?? h.name }));
    if (live.length === 0) return;
    await this.#managed.terminate(live, options ?? { reason: `run ${runId} released its hosts` });
  }

  /** Terminates the given hosts, if this stack launched them for the run (anything else is left alone). */
  async terminate(runId: string, hosts: readonly Host[], options: ReleaseHostsOptions): Promise<void> {
    const ours = new Set((await this.#managed.list(runId)).map((h) => h.id));
    const targets = hosts.filter((h) => ours.has(h.id));
    if (targets.length > 0) await this.#managed.terminate(targets, options);
  }

  async listManaged(): Promise<ManagedHost[]> {
    return this.#managed.list();
  }

  async #byIds(ids: readonly string[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    for (const batch of chunk(ids, EC2_ID_BATCH)) {
      try {
        instances.push(...(await describeInstances(this.#ec2, { InstanceIds: batch }, this.#retry)));
      } catch (error) {
        if (!/^InvalidInstanceID\./.test(errorName(error) ?? '')) throw error;
        throw new UsageError(`unknown instance id: ${(error as Error).message}`, {
          hint: 'check the ids and the region (AWS_REGION)',
          cause: error,
        });
      }
    }
    return instances;
  }

  /** Every running instance with all the tags, all pages (the state is checked again: never trust a list). */
  async #byTags(tags: Readonly<Record<string, string>>): Promise<Instance[]> {
    const instances = await describeInstances(
      this.#ec2,
      {
        Filters: [
          ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
      this.#retry,
    );
    return instances.filter((i) => i.State?.Name === 'running');
  }
}

/** Why an instance cannot take commands, or undefined when it can. */
export function unreachableReason(
  instance: Instance | undefined,
  agent: InstanceInformation | undefined,
): string | undefined {
  if (!instance) return 'instance not found';
  const state = instance.State?.Name;
  if (state !== 'running') return `instance is ${state ?? 'in an unknown state'}, not running`;
  const tagged = instance.Tags?.some((t) => t.Key === FLEETBENCH_TAG.key && t.Value === FLEETBENCH_TAG.value);
  if (!tagged) {
    return `not tagged ${FLEETBENCH_TAG.key}=${FLEETBENCH_TAG.value}, so the stack may not send it commands (aws ec2 create-tags --resources ${instance.InstanceId} --tags Key=${FLEETBENCH_TAG.key},Value=${FLEETBENCH_TAG.value})`;
  }
  if (!agent) {
    return 'not registered with SSM: no SSM agent running, or its instance profile lacks AmazonSSMManagedInstanceCore (use the stack output InstanceProfileArn)';
  }
  if (agent.PingStatus !== 'Online') {
    const lastPing = agent.LastPingDateTime ? agent.LastPingDateTime.toISOString() : 'never';
    return `SSM agent ${agent.PingStatus ?? 'status unknown'} (agent ${agent.AgentVersion ?? 'version unknown'}, last ping ${lastPing})`;
  }
  return undefined;
}

/**
 * Hosts named by their Name tag in the plan's host-name alphabet, disambiguated when shared, else by instance
 * id (ec2-host-names.ts); names go into task keys. The private address is kept for peer workloads (iperf3).
 */
function named(instances: readonly Instance[]): Host[] {
  const names = nameInstances(
    instances.map((i) => {
      const tagName = tagValue(i.Tags, NAME_TAG_KEY);
      return tagName === undefined ? { id: i.InstanceId ?? '' } : { id: i.InstanceId ?? '', tagName };
    }),
  );
  return instances.map((i, index) => {
    const id = i.InstanceId ?? '';
    const name = names[index] ?? id;
    return i.PrivateIpAddress ? { id, name, address: i.PrivateIpAddress } : { id, name };
  });
}

function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
