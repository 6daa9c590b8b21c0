/**
 * The instances this stack launched: listing them (by run, or all of them for the reconciler) and
 * terminating them. "This stack's" is decided by two facts together: the `fleetbench:managed=true` tag and
 * the stack's own instance profile — so two fleetbench stacks in one account and region never end each
 * other's hosts, and an instance a user tagged by hand but launched with another profile is never touched.
 */
import { type EC2Client, type Filter, type Instance, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { HostObservation } from '../../core/host-lifecycle.js';
import type { Clock, ManagedHost, ReleaseHostsOptions } from '../../core/ports.js';
import type { Host } from '../../core/run.js';
import { sanitizeHostName } from './ec2-host-names.js';
import { describeInstances, EC2_ID_BATCH } from './ec2-queries.js';
import { MANAGED_TAG, NAME_TAG_KEY, RUN_TAG_KEY, tagValue } from './ec2-tags.js';
import { chunk, isThrottling, named, type RetryPolicy, withRetry } from './retry.js';

/** Right after RunInstances, a new id can be briefly unknown to other calls (eventual consistency). */
export const isNotFoundYet = named('InvalidInstanceID.NotFound');
const retryableTerminate = (error: unknown): boolean => isThrottling(error) || isNotFoundYet(error);

/**
 * @example
 * const managed = new ManagedInstances({ ec2, retry, clock, instanceProfileArn });
 * const orphans = (await managed.list()).filter((h) => h.status === 'active');
 * await managed.terminate(orphans, { reason: 'run is not in the catalog' });
 */
export class ManagedInstances {
  readonly #ec2: EC2Client;
  readonly #retry: RetryPolicy;
  readonly #clock: Clock;
  readonly #profileArn: string | undefined;

  constructor(options: {
    readonly ec2: EC2Client;
    readonly retry: RetryPolicy;
    readonly clock: Clock;
    readonly instanceProfileArn?: string;
  }) {
    this.#ec2 = options.ec2;
    this.#retry = options.retry;
    this.#clock = options.clock;
    this.#profileArn = options.instanceProfileArn;
  }

  /** Every instance this stack launched (of one run, when given) that EC2 still lists, terminated ones included. */
  async list(runId?: string): Promise<ManagedHost[]> {
    const filters: Filter[] = [{ Name: `tag:${MANAGED_TAG.key}`, Values: [MANAGED_TAG.value] }];
    if (runId !== undefined) filters.push({ Name: `tag:${RUN_TAG_KEY}`, Values: [runId] });
    if (this.#profileArn) filters.push({ Name: 'iam-instance-profile.arn', Values: [this.#profileArn] });
    const instances = await describeInstances(this.#ec2, { Filters: filters }, this.#retry);
    return instances
      .filter((i) => tagValue(i.Tags, MANAGED_TAG.key) === MANAGED_TAG.value)
      .filter((i) => runId === undefined || tagValue(i.Tags, RUN_TAG_KEY) === runId)
      .map(managedHost)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Terminates the given instances (already shutting down or gone ones included: EC2 accepts them) and
   * reports each as TERMINATING, then TERMINATED when EC2 already says so.
   */
  async terminate(hosts: readonly Host[], options: ReleaseHostsOptions): Promise<void> {
    const byId = new Map(hosts.map((h) => [h.id, h]));
    for (const batch of chunk([...byId.keys()], EC2_ID_BATCH)) {
      const out = await withRetry(
        () => this.#ec2.send(new TerminateInstancesCommand({ InstanceIds: batch })),
        retryableTerminate,
        this.#retry,
      );
      const at = this.#clock.now().toISOString();
      for (const change of out.TerminatingInstances ?? []) {
        const host = byId.get(change.InstanceId ?? '');
        if (!host || !options.onHostState) continue;
        const observe = (state: HostObservation['state'], reason: string) =>
          options.onHostState?.({ instanceId: host.id, name: host.name, state, at, reason });
        await observe('TERMINATING', options.reason);
        if (change.CurrentState?.Name === 'terminated') await observe('TERMINATED', 'terminated by EC2');
      }
    }
  }
}

function managedHost(instance: Instance): ManagedHost {
  const id = instance.InstanceId ?? '';
  const state = instance.State?.Name;
  const status = state === 'terminated' ? 'terminated' : state === 'shutting-down' ? 'terminating' : 'active';
  const reason = instance.StateReason?.Message;
  return {
    id,
    name: sanitizeHostName(tagValue(instance.Tags, NAME_TAG_KEY)) ?? id,
    ...(instance.PrivateIpAddress ? { address: instance.PrivateIpAddress } : {}),
    runId: tagValue(instance.Tags, RUN_TAG_KEY) ?? '',
    status,
    launchedAt: (instance.LaunchTime ?? new Date(0)).toISOString(),
    ...(reason ? { stateReason: reason } : {}),
  };
}
