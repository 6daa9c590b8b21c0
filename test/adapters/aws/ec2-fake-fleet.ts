/**
 * EC2 and SSM as the host adapters see them, played by aws-sdk-client-mock over a small in-memory fleet:
 * RunInstances honours ClientToken (the same token returns the same instance) and the tag specifications;
 * DescribeInstances applies the filters the adapters use (ids, `tag:*`, `instance-state-name`,
 * `iam-instance-profile.arn`) and moves a pending instance to running once it has been seen pending;
 * TerminateInstances moves instances to shutting-down; DescribeInstanceInformation reports running instances
 * Online; GetParameter reads a parameter map. A clock the tests advance drives launch times and polling.
 */
import {
  DescribeInstancesCommand,
  EC2Client,
  type Filter,
  type Instance,
  type InstanceStateName,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../../../lib/core/ports.js';
import { awsError } from './aws-fakes.js';

export const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/Fleetbench-hosts';
export const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
export const AL2023_AMI = 'ami-0123456789abcdef0';

export type FakeInstance = {
  readonly id: string;
  state: InstanceStateName;
  readonly tags: Record<string, string>;
  readonly launchTime: Date;
  readonly profileArn?: string;
  readonly input?: RunInstancesCommandInput;
  stateReason?: string;
  /** Stays pending for this many more describes (0: runs at the next one). */
  pendingDescribes: number;
};

/** A clock tests move by hand; sleeping advances it, so polling loops run without waiting. */
export function manualClock(start = '2026-03-01T10:00:00.000Z'): Clock & { advance(ms: number): void } {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export class FakeFleet {
  readonly ec2 = mockClient(EC2Client);
  readonly ssm = mockClient(SSMClient);
  readonly instances = new Map<string, FakeInstance>();
  readonly parameters = new Map<string, string>([[AL2023, AL2023_AMI]]);
  /** Makes the n-th (1-based, counting every RunInstances call) launch fail with this error. */
  failLaunch: (call: number, input: RunInstancesCommandInput) => Error | undefined = () => undefined;
  /** Makes a TerminateInstances call fail with this error. */
  failTerminate: () => Error | undefined = () => undefined;
  /** Whether a running instance's SSM agent is Online. */
  online: (id: string) => boolean = () => true;
  /** How many describes a new instance stays pending for. */
  pendingDescribes = 1;
  #launches = 0;
  readonly #tokens = new Map<string, string>();

  constructor(readonly clock: Clock) {
    this.#mock();
  }

  /** Every instance not terminated or on its way out. */
  get live(): FakeInstance[] {
    return [...this.instances.values()].filter(
      (i) => i.state !== 'terminated' && i.state !== 'shutting-down',
    );
  }

  /** An instance that exists before the test (a user's host, another run's orphan). */
  add(instance: Partial<FakeInstance> & { id: string }): FakeInstance {
    const added: FakeInstance = {
      state: 'running',
      tags: {},
      launchTime: this.clock.now(),
      pendingDescribes: 0,
      ...instance,
    };
    this.instances.set(added.id, added);
    return added;
  }

  /** Finishes every termination EC2 has started. */
  finishTerminations(): void {
    for (const instance of this.instances.values())
      if (instance.state === 'shutting-down') instance.state = 'terminated';
  }

  restore(): void {
    this.ec2.restore();
    this.ssm.restore();
  }

  #mock(): void {
    this.ec2.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
      this.#launches += 1;
      const failure = this.failLaunch(this.#launches, input);
      if (failure) throw failure;
      const known = input.ClientToken ? this.#tokens.get(input.ClientToken) : undefined;
      const instance = known ? this.instances.get(known) : undefined;
      if (instance) return { Instances: [toInstance(instance)] };
      const id = `i-${String(this.instances.size + 1).padStart(17, '0')}`;
      const tags = Object.fromEntries(
        (input.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? []).map((t) => [
          t.Key ?? '',
          t.Value ?? '',
        ]),
      );
      const created = this.add({
        id,
        state: 'pending',
        tags,
        input,
        pendingDescribes: this.pendingDescribes,
        ...(input.IamInstanceProfile?.Arn ? { profileArn: input.IamInstanceProfile.Arn } : {}),
      });
      if (input.ClientToken) this.#tokens.set(input.ClientToken, id);
      return { Instances: [toInstance(created)] };
    });

    this.ec2
      .on(DescribeInstancesCommand)
      .callsFake((input: { InstanceIds?: string[]; Filters?: Filter[] }) => {
        let found = [...this.instances.values()];
        if (input.InstanceIds) {
          const unknown = input.InstanceIds.find((id) => !this.instances.has(id));
          if (unknown)
            throw awsError('InvalidInstanceID.NotFound', `The instance ID '${unknown}' does not exist`);
          found = found.filter((i) => input.InstanceIds?.includes(i.id));
        }
        for (const filter of input.Filters ?? []) {
          const values = filter.Values ?? [];
          if (filter.Name === 'instance-state-name') found = found.filter((i) => values.includes(i.state));
          else if (filter.Name === 'iam-instance-profile.arn')
            found = found.filter((i) => values.includes(i.profileArn ?? ''));
          else if (filter.Name?.startsWith('tag:'))
            found = found.filter((i) => values.includes(i.tags[filter.Name?.slice(4) ?? ''] ?? ''));
          else throw awsError('InvalidParameterValue', `unknown filter ${filter.Name}`);
        }
        const page = found.map(toInstance);
        // Seen pending once (or a few times): running next time.
        for (const instance of found) {
          if (instance.state !== 'pending') continue;
          if (instance.pendingDescribes <= 0) instance.state = 'running';
          else instance.pendingDescribes -= 1;
        }
        return { Reservations: page.length > 0 ? [{ Instances: page }] : [] };
      });

    this.ec2.on(TerminateInstancesCommand).callsFake((input: { InstanceIds?: string[] }) => {
      const failure = this.failTerminate();
      if (failure) throw failure;
      const ids = input.InstanceIds ?? [];
      const unknown = ids.find((id) => !this.instances.has(id));
      if (unknown)
        throw awsError('InvalidInstanceID.NotFound', `The instance ID '${unknown}' does not exist`);
      return {
        TerminatingInstances: ids.map((id) => {
          const instance = this.instances.get(id) as FakeInstance;
          const previous = instance.state;
          if (previous !== 'terminated') instance.state = 'shutting-down';
          return {
            InstanceId: id,
            PreviousState: { Name: previous },
            CurrentState: { Name: instance.state },
          };
        }),
      };
    });

    this.ssm
      .on(DescribeInstanceInformationCommand)
      .callsFake((input: { Filters?: { Key?: string; Values?: string[] }[] }) => {
        const ids = input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
        return {
          InstanceInformationList: ids
            .filter((id) => this.instances.get(id)?.state === 'running' && this.online(id))
            .map((id) => ({ InstanceId: id, PingStatus: 'Online' as const, AgentVersion: '3.3.0' })),
        };
      });

    this.ssm.on(GetParameterCommand).callsFake((input: { Name?: string }) => {
      const value = this.parameters.get(input.Name ?? '');
      if (value === undefined) throw awsError('ParameterNotFound', `Parameter ${input.Name} not found.`);
      return { Parameter: { Name: input.Name, Type: 'String', Value: value } };
    });
  }
}

function toInstance(instance: FakeInstance): Instance {
  return {
    InstanceId: instance.id,
    State: { Name: instance.state },
    LaunchTime: instance.launchTime,
    PrivateIpAddress: `10.0.0.${Number.parseInt(instance.id.slice(-3), 10)}`,
    Tags: Object.entries(instance.tags).map(([Key, Value]) => ({ Key, Value })),
    ...(instance.profileArn ? { IamInstanceProfile: { Arn: instance.profileArn } } : {}),
    ...(instance.stateReason ? { StateReason: { Code: 'Server', Message: instance.stateReason } } : {}),
  };
}
