/**
 * HostProvider on EC2 + SSM (the seed's ConnectivityService): resolves a plan's `hosts` to instances
 * (`{instanceIds}` as given, `{tags}` as every running instance carrying them) and checks each can take
 * commands: it must run, carry the `fleetbench=true` tag the stack's IAM policy requires for SendCommand,
 * and have an SSM agent that is Online. Hosts that fail a check are reported with the reason, and the
 * use case leaves them out of the run.
 */
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  type InstanceInformation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { UsageError } from '../../core/errors.js';
import type { Plan } from '../../core/plan.js';
import type { HostProvider } from '../../core/ports.js';
import type { Host } from '../../core/run.js';
import {
  chunk,
  errorName,
  isThrottling,
  type RetryOverrides,
  type RetryPolicy,
  retryPolicy,
  withRetry,
} from './retry.js';

/** The tag that lets the stack send commands to an instance (its IAM condition `ssm:resourceTag/fleetbench`). */
export const FLEETBENCH_TAG = { key: 'fleetbench', value: 'true' } as const;

/** DescribeInstanceInformation filters take ≤ 50 values here (SSM's own batch size). */
const SSM_FILTER_BATCH = 50;
const EC2_ID_BATCH = 200;

type Unreachable = { host: Host; reason: string };

/**
 * @example
 * const hosts = new Ec2HostProvider({ ec2: clients.ec2, ssm: clients.ssm });
 * const resolved = await hosts.resolve(runId, { tags: { team: 'perf' } });
 * const { reachable, unreachable } = await hosts.checkConnectivity(resolved);
 */
export class Ec2HostProvider implements HostProvider {
  readonly #ec2: EC2Client;
  readonly #ssm: SSMClient;
  readonly #retry: RetryPolicy;

  constructor(options: {
    readonly ec2: EC2Client;
    readonly ssm: SSMClient;
    readonly retry?: RetryOverrides;
  }) {
    this.#ec2 = options.ec2;
    this.#ssm = options.ssm;
    this.#retry = retryPolicy(options.retry);
  }

  async resolve(_runId: string, hosts: Plan['hosts']): Promise<Host[]> {
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
    if ('provision' in hosts) {
      throw new UsageError('provisioned hosts are not supported yet', {
        hint: 'start the instances yourself, tag them fleetbench=true, and use hosts: {tags: {...}} or {instanceIds: [...]}',
      });
    }
    throw new UsageError('local hosts cannot run on the aws target', {
      hint: 'use hosts: {instanceIds: [...]} or {tags: {...}}, or run with the local target',
    });
  }

  async checkConnectivity(
    hosts: readonly Host[],
  ): Promise<{ reachable: Host[]; unreachable: Unreachable[] }> {
    const instances = new Map(
      (await this.#byIds(hosts.map((h) => h.id))).map((i) => [i.InstanceId ?? '', i]),
    );
    const agents = await this.#agents(hosts.map((h) => h.id));
    const reachable: Host[] = [];
    const unreachable: Unreachable[] = [];
    for (const host of hosts) {
      const reason = unreachableReason(instances.get(host.id), agents.get(host.id));
      if (reason) unreachable.push({ host, reason });
      else reachable.push(host);
    }
    return { reachable, unreachable };
  }

  async #byIds(ids: readonly string[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    for (const batch of chunk(ids, EC2_ID_BATCH)) {
      try {
        instances.push(...(await this.#describe({ InstanceIds: batch })));
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

  async #byTags(tags: Readonly<Record<string, string>>): Promise<Instance[]> {
    return this.#describe({
      Filters: [
        ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
        { Name: 'instance-state-name', Values: ['running'] },
      ],
    });
  }

  async #describe(input: {
    InstanceIds?: string[];
    Filters?: { Name: string; Values: string[] }[];
  }): Promise<Instance[]> {
    const instances: Instance[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await withRetry(
        () =>
          this.#ec2.send(new DescribeInstancesCommand({ ...input, ...(token ? { NextToken: token } : {}) })),
        isThrottling,
        this.#retry,
      );
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return instances;
  }

  async #agents(ids: readonly string[]): Promise<Map<string, InstanceInformation>> {
    const agents = new Map<string, InstanceInformation>();
    for (const batch of chunk(ids, SSM_FILTER_BATCH)) {
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const page = await withRetry(
          () =>
            this.#ssm.send(
              new DescribeInstanceInformationCommand({
                Filters: [{ Key: 'InstanceIds', Values: batch }],
                ...(token ? { NextToken: token } : {}),
              }),
            ),
          isThrottling,
          this.#retry,
        );
        for (const info of page.InstanceInformationList ?? [])
          if (info.InstanceId) agents.set(info.InstanceId, info);
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return agents;
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

/** Hosts named by their Name tag when it is usable and unique, else by instance id (names go into task keys). */
function named(instances: readonly Instance[]): Host[] {
  const nameOf = (i: Instance) => i.Tags?.find((t) => t.Key === 'Name')?.Value?.trim() ?? '';
  const counts = new Map<string, number>();
  for (const i of instances) counts.set(nameOf(i), (counts.get(nameOf(i)) ?? 0) + 1);
  return instances.map((i) => {
    const id = i.InstanceId ?? '';
    const name = nameOf(i);
    const usable = name !== '' && !name.includes('::') && counts.get(name) === 1;
    return { id, name: usable ? name : id };
  });
}

function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
