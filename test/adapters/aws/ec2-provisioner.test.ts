import { EC2Client, RunInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ec2HostProvider } from '../../../lib/adapters/aws/ec2-host-provider.js';
import type { ProvisionSpec } from '../../../lib/adapters/aws/ec2-provisioner.js';
import { classifyProvisioningError, clientToken } from '../../../lib/adapters/aws/ec2-provisioner.js';
import {
  HostCapacityError,
  type HostObservation,
  HostProvisioningError,
} from '../../../lib/core/host-lifecycle.js';
import { startTestDynalite } from '../../support/dynalite.js';
import { awsError, noWait } from './aws-fakes.js';
import { AL2023, AL2023_AMI, FakeFleet, manualClock, PROFILE_ARN } from './ec2-fake-fleet.js';

const RUN = 'cpu-20260301-100000-ab12';
const SPEC: ProvisionSpec = {
  count: 7,
  instanceType: 'c7g.large',
  ami: AL2023,
  subnetId: 'subnet-0123456789abcdef0',
  securityGroupIds: ['sg-0123456789abcdef0'],
};

let clock: ReturnType<typeof manualClock>;
let fleet: FakeFleet;

function provider(options: { readyTimeoutMs?: number; profile?: boolean } = {}) {
  return new Ec2HostProvider({
    ec2: new EC2Client({ region: 'us-east-1' }),
    ssm: new SSMClient({ region: 'us-east-1' }),
    retry: noWait(),
    clock,
    ...(options.profile === false ? {} : { instanceProfileArn: PROFILE_ARN }),
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
  });
}

function recorder() {
  const seen: HostObservation[] = [];
  return {
    seen,
    onHostState: async (o: HostObservation) => {
      seen.push(o);
    },
    statesOf: (id: string) => seen.filter((o) => o.instanceId === id).map((o) => o.state),
  };
}

function launches(): RunInstancesCommandInput[] {
  return fleet.ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
  clock = manualClock();
  fleet = new FakeFleet(clock);
});

afterEach(() => {
  fleet.restore();
});

describe('Class: Ec2HostProvider (provision)', () => {
  describe('Method: resolve', () => {
    it('launches 7 instances from the AMI in the SSM parameter, with the tags, profile and network of the plan', async () => {
      const { onHostState, statesOf } = recorder();

      const hosts = await provider().resolve(RUN, { provision: SPEC }, { attempt: 1, onHostState });

      expect(fleet.ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
        { Name: AL2023 },
      ]);
      const inputs = launches();
      expect(inputs).toHaveLength(7);
      expect(new Set(inputs.map((i) => i.ClientToken)).size).toBe(7);
      inputs.forEach((input, n) => {
        const name = `fleetbench-${RUN}-${n + 1}`;
        const tags = [
          { Key: 'fleetbench:managed', Value: 'true' },
          { Key: 'fleetbench:run', Value: RUN },
          { Key: 'fleetbench', Value: 'true' },
          { Key: 'Name', Value: name },
        ];
        expect(input).toEqual({
          ImageId: AL2023_AMI,
          InstanceType: 'c7g.large',
          MinCount: 1,
          MaxCount: 1,
          ClientToken: clientToken(RUN, 1, n + 1),
          IamInstanceProfile: { Arn: PROFILE_ARN },
          InstanceInitiatedShutdownBehavior: 'terminate',
          MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tags },
            { ResourceType: 'volume', Tags: tags },
          ],
          SubnetId: SPEC.subnetId,
          SecurityGroupIds: SPEC.securityGroupIds,
        });
      });
      expect(hosts.map((h) => h.name)).toEqual(inputs.map((_, n) => `fleetbench-${RUN}-${n + 1}`));
      expect(hosts.every((h) => h.address?.startsWith('10.0.0.'))).toBe(true);
      for (const host of hosts)
        expect(statesOf(host.id)).toEqual(['REQUESTED', 'PENDING', 'RUNNING', 'SSM_ONLINE']);
      expect(fleet.live.map((i) => i.state)).toEqual(Array(7).fill('running'));
    });

    it('requests spot capacity that terminates on interruption, and tags the spot requests', async () => {
      await provider().resolve(RUN, {
        provision: { count: 1, instanceType: 'm7i.large', ami: AL2023_AMI, spot: true },
      });

      const [input] = launches();
      expect(input?.InstanceMarketOptions).toEqual({
        MarketType: 'spot',
        SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' },
      });
      expect(input?.TagSpecifications?.map((t) => t.ResourceType)).toEqual([
        'instance',
        'volume',
        'spot-instances-request',
      ]);
      expect(input?.ImageId).toBe(AL2023_AMI);
      expect(input).not.toHaveProperty('SubnetId');
      expect(fleet.ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
    });

    it('pads host numbers to the fleet size so they sort in launch order', async () => {
      const hosts = await provider().resolve(RUN, { provision: { ...SPEC, count: 12 } });

      expect(hosts.map((h) => h.name.slice(-2))).toEqual(
        Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0')),
      );
    });

    it('is idempotent when PlanRun is retried: the same ClientTokens give back the same fleet, recorded once', async () => {
      const db = await startTestDynalite();
      try {
        const onHostState = async (o: HostObservation) => {
          await db.journal.recordHostState(RUN, o);
        };

        const first = await provider().resolve(RUN, { provision: SPEC }, { attempt: 1, onHostState });
        const retried = await provider().resolve(RUN, { provision: SPEC }, { attempt: 1, onHostState });

        expect(retried).toEqual(first);
        expect(fleet.instances.size).toBe(7);
        const tokens = launches().map((i) => i.ClientToken);
        expect(tokens.slice(7)).toEqual(tokens.slice(0, 7));
        const records = await db.journal.listHostRecords(RUN);
        expect(records).toHaveLength(7);
        for (const record of records) {
          expect(record.state).toBe('SSM_ONLINE');
          expect(record.history.map((h) => h.to)).toEqual(['REQUESTED', 'PENDING', 'RUNNING', 'SSM_ONLINE']);
          expect(record).toMatchObject({ instanceType: 'c7g.large', imageId: AL2023_AMI, spot: false });
        }
      } finally {
        await db.stop();
      }
    });

    it('launches a new fleet, with the same names, for a new attempt (resume)', async () => {
      const first = await provider().resolve(RUN, { provision: SPEC }, { attempt: 1 });
      const second = await provider().resolve(RUN, { provision: SPEC }, { attempt: 2 });

      expect(second.map((h) => h.name)).toEqual(first.map((h) => h.name));
      expect(second.map((h) => h.id)).not.toEqual(first.map((h) => h.id));
      expect(fleet.instances.size).toBe(14);
    });

    it.each([
      ['InsufficientInstanceCapacity', HostCapacityError, 'capacity', /another subnet \(Availability Zone\)/],
      ['InstanceLimitExceeded', HostCapacityError, 'quota', /Service Quotas/],
      ['VcpuLimitExceeded', HostCapacityError, 'quota', /Service Quotas/],
      ['MaxSpotInstanceCountExceeded', HostCapacityError, 'quota', /Service Quotas/],
      ['Unsupported', HostProvisioningError, 'unsupported', /Availability Zone/],
      ['InvalidSubnetID.NotFound', HostProvisioningError, 'invalid', /subnetId/],
    ] as const)('turns %s into a %s and leaves no instance running', async (code, Kind, failure, hint) => {
      fleet.failLaunch = (call) => (call === 4 ? awsError(code, `We cannot do that (${code})`) : undefined);
      const { onHostState, seen } = recorder();

      const error = await provider()
        .resolve(RUN, { provision: SPEC }, { attempt: 1, onHostState })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(Kind);
      expect(error).toMatchObject({ awsCode: code, failure, hint: expect.stringMatching(hint) });
      expect((error as Error).message).toMatch(
        new RegExp(
          `^cannot provision 7 × c7g\\.large: ${code.replace('.', '\\.')}: .*; the 6 instance\\(s\\) already launched were terminated$`,
        ),
      );
      expect(fleet.live).toEqual([]);
      const launched = [...fleet.instances.keys()];
      expect(launched).toHaveLength(6);
      for (const id of launched)
        expect(
          seen
            .filter((o) => o.instanceId === id)
            .map((o) => o.state)
            .slice(-2),
        ).toEqual(['FAILED', 'TERMINATING']);
    });

    it('says so when the first launch fails and nothing was launched', async () => {
      fleet.failLaunch = () => awsError('InsufficientInstanceCapacity', 'no capacity');

      await expect(provider().resolve(RUN, { provision: { ...SPEC, count: 1 } })).rejects.toThrow(
        /InsufficientInstanceCapacity: no capacity; no instance was launched$/,
      );
      expect(fleet.instances.size).toBe(0);
    });

    it('also terminates instances of the run whose launch response was lost', async () => {
      const lost = fleet.add({
        id: 'i-0000000000000lost',
        tags: { 'fleetbench:managed': 'true', 'fleetbench:run': RUN, Name: `fleetbench-${RUN}-1` },
        profileArn: PROFILE_ARN,
      });
      const otherRun = fleet.add({
        id: 'i-00000000000other',
        tags: { 'fleetbench:managed': 'true', 'fleetbench:run': 'other-20260301-100000-zz99' },
        profileArn: PROFILE_ARN,
      });
      fleet.failLaunch = (call) => (call === 1 ? awsError('VcpuLimitExceeded', 'quota') : undefined);

      await expect(provider().resolve(RUN, { provision: { ...SPEC, count: 1 } })).rejects.toBeInstanceOf(
        HostCapacityError,
      );

      expect(lost.state).toBe('shutting-down');
      expect(otherRun.state).toBe('running');
    });

    it('rejects an SSM parameter that does not exist, before launching anything', async () => {
      const error = await provider()
        .resolve(RUN, { provision: { ...SPEC, ami: '/aws/service/nope' } })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(HostProvisioningError);
      expect(error).toMatchObject({
        awsCode: 'ParameterNotFound',
        failure: 'invalid',
        hint: expect.stringContaining('aws ssm get-parameters-by-path'),
      });
      expect(launches()).toHaveLength(0);
    });

    it('rejects a parameter that holds no AMI id', async () => {
      fleet.parameters.set('/my/param', 'hello');

      await expect(provider().resolve(RUN, { provision: { ...SPEC, ami: '/my/param' } })).rejects.toThrow(
        'SSM parameter /my/param does not hold an AMI id',
      );
    });

    it('returns hosts whose agent is not Online by the deadline, for the connectivity check to explain', async () => {
      fleet.online = (id) => !id.endsWith('3');
      const { onHostState, statesOf } = recorder();
      const started = clock.now().getTime();

      const hosts = await provider({ readyTimeoutMs: 60_000 }).resolve(
        RUN,
        { provision: SPEC },
        { onHostState },
      );

      expect(hosts).toHaveLength(7);
      const late = hosts.find((h) => h.id.endsWith('3'));
      expect(statesOf(late?.id ?? '')).toEqual(['REQUESTED', 'PENDING', 'RUNNING']);
      expect(clock.now().getTime() - started).toBeGreaterThanOrEqual(60_000);
      expect(clock.now().getTime() - started).toBeLessThan(70_000);
      const { unreachable } = await provider().checkConnectivity(hosts);
      expect(unreachable.map((u) => u.host.id)).toEqual([late?.id]);
    });

    it('records an instance that ends during launch as FAILED, with the reason EC2 gives', async () => {
      fleet.pendingDescribes = 0;
      const { onHostState, seen } = recorder();
      fleet.failLaunch = (call) => {
        if (call === 2) {
          queueMicrotask(() => {
            const reclaimed = [...fleet.instances.values()][1];
            if (reclaimed) {
              reclaimed.state = 'terminated';
              reclaimed.stateReason = 'Server.SpotInstanceTermination: Spot instance termination';
            }
          });
        }
        return undefined;
      };

      const hosts = await provider().resolve(RUN, { provision: { ...SPEC, count: 2 } }, { onHostState });

      const failed = seen.find((o) => o.state === 'FAILED');
      expect(failed).toMatchObject({
        instanceId: hosts[1]?.id,
        reason:
          'instance terminated during launch: Server.SpotInstanceTermination: Spot instance termination',
      });
    });
  });
});

describe('Function: clientToken', () => {
  it('is the same for the same run, attempt and host, different otherwise, and fits EC2 (64 characters)', () => {
    expect(clientToken(RUN, 1, 1)).toBe(clientToken(RUN, 1, 1));
    const tokens = [
      clientToken(RUN, 1, 1),
      clientToken(RUN, 1, 2),
      clientToken(RUN, 2, 1),
      clientToken('x', 1, 1),
    ];
    expect(new Set(tokens).size).toBe(4);
    expect(clientToken('a'.repeat(100), 9999, 1000).length).toBeLessThanOrEqual(64);
  });
});

describe('Function: classifyProvisioningError', () => {
  it.each([
    ['InsufficientInstanceCapacity', 'capacity'],
    ['InsufficientHostCapacity', 'capacity'],
    ['InstanceLimitExceeded', 'quota'],
    ['VcpuLimitExceeded', 'quota'],
    ['Unsupported', 'unsupported'],
    ['UnsupportedOperation', 'unsupported'],
    ['InvalidAMIID.NotFound', 'invalid'],
    ['InvalidParameterValue', 'invalid'],
    ['IdempotentParameterMismatch', 'invalid'],
    ['UnauthorizedOperation', 'denied'],
    ['InternalError', 'other'],
    [undefined, 'other'],
  ] as const)('classifies %s as %s', (code, failure) => {
    expect(classifyProvisioningError(code)).toBe(failure);
  });
});
