import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2HostProvider } from '../../../lib/adapters/aws/ec2-host-provider.js';
import { UsageError } from '../../../lib/core/errors.js';
import { awsError, noWait } from './aws-fakes.js';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);

function instance(id: string, options: { name?: string; state?: string; tagged?: boolean } = {}): Instance {
  return {
    InstanceId: id,
    State: { Name: (options.state ?? 'running') as 'running' },
    Tags: [
      ...(options.name ? [{ Key: 'Name', Value: options.name }] : []),
      ...(options.tagged === false ? [] : [{ Key: 'fleetbench', Value: 'true' }]),
    ],
  };
}

function provider() {
  return new Ec2HostProvider({
    ec2: new EC2Client({ region: 'us-east-1' }),
    ssm: new SSMClient({ region: 'us-east-1' }),
    retry: noWait(),
  });
}

beforeEach(() => {
  ec2.reset();
  ssm.reset();
});

describe('Class: Ec2HostProvider', () => {
  describe('Method: resolve', () => {
    it('names instances by their Name tag, by id when it is missing, with the id appended when shared', async () => {
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              instance('i-1', { name: 'web' }),
              instance('i-2'),
              instance('i-3', { name: 'db' }),
              instance('i-4', { name: 'db' }),
            ],
          },
        ],
      });

      const hosts = await provider().resolve('r', { instanceIds: ['i-1', 'i-2', 'i-3', 'i-4'] });

      expect(hosts).toEqual([
        { id: 'i-1', name: 'web' },
        { id: 'i-2', name: 'i-2' },
        { id: 'i-3', name: 'db-i-3' },
        { id: 'i-4', name: 'db-i-4' },
      ]);
    });

    it('names hosts the same whatever order EC2 lists them in', async () => {
      const fleet = [
        instance('i-3', { name: 'db' }),
        instance('i-1', { name: 'web' }),
        instance('i-4', { name: 'db' }),
      ];
      ec2.on(DescribeInstancesCommand).resolvesOnce({ Reservations: [{ Instances: fleet }] });
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [...fleet].reverse() }] });

      const first = await provider().resolve('r', { tags: { team: 'perf' } });
      const second = await provider().resolve('r', { tags: { team: 'perf' } });

      expect(second).toEqual(first);
      expect(first.map((h) => h.name)).toEqual(['web', 'db-i-3', 'db-i-4']);
    });

    it('turns Name tags into readable task-key names in the plan host-name alphabet', async () => {
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              instance('i-1', { name: 'web server #1' }),
              instance('i-2', { name: 'perf::db' }),
              instance('i-3', { name: 'ñandú' }),
              instance('i-4', { name: '  ***  ' }),
              instance('i-5', { name: `${'x'.repeat(80)}` }),
            ],
          },
        ],
      });

      const hosts = await provider().resolve('r', { instanceIds: ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'] });

      expect(hosts.map((h) => h.name)).toEqual(['web-server-1', 'perf-db', 'nandu', 'i-4', 'x'.repeat(63)]);
    });

    it('keeps the private address, for workloads whose hosts talk to each other', async () => {
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          { Instances: [{ ...instance('i-1', { name: 'web' }), PrivateIpAddress: '10.0.0.7' }] },
        ],
      });

      await expect(provider().resolve('r', { instanceIds: ['i-1'] })).resolves.toEqual([
        { id: 'i-1', name: 'web', address: '10.0.0.7' },
      ]);
    });

    it('resolves tags to every running instance carrying them, all pages', async () => {
      ec2
        .on(DescribeInstancesCommand)
        .resolvesOnce({ Reservations: [{ Instances: [instance('i-2')] }], NextToken: 'next' })
        .resolves({ Reservations: [{ Instances: [instance('i-1')] }] });

      const hosts = await provider().resolve('r', { tags: { team: 'perf' } });

      expect(hosts.map((h) => h.id)).toEqual(['i-1', 'i-2']);
      const calls = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
      expect(calls[0]?.Filters).toEqual([
        { Name: 'tag:team', Values: ['perf'] },
        { Name: 'instance-state-name', Values: ['running'] },
      ]);
      expect(calls[1]?.NextToken).toBe('next');
    });

    it('keeps only running instances of a tag selector, whatever the API returned', async () => {
      ec2
        .on(DescribeInstancesCommand)
        .resolvesOnce({
          Reservations: [{ Instances: [instance('i-1'), instance('i-2', { state: 'stopped' })] }],
          NextToken: 'p2',
        })
        .resolvesOnce({
          Reservations: [{ Instances: [instance('i-3', { state: 'terminated' }), instance('i-4')] }],
          NextToken: 'p3',
        })
        .resolves({ Reservations: [{ Instances: [instance('i-5', { state: 'pending' })] }] });

      const hosts = await provider().resolve('r', { tags: { team: 'perf' } });

      expect(hosts.map((h) => h.id)).toEqual(['i-1', 'i-4']);
      expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(3);
    });

    it('says so when no running instance has the tags', async () => {
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

      await expect(provider().resolve('r', { tags: { team: 'perf' } })).rejects.toThrow(
        'no running instance has the tags team=perf',
      );
    });

    it('turns an unknown instance id into a usage error', async () => {
      ec2
        .on(DescribeInstancesCommand)
        .rejects(awsError('InvalidInstanceID.NotFound', "The instance ID 'i-9' does not exist"));

      await expect(provider().resolve('r', { instanceIds: ['i-9'] })).rejects.toBeInstanceOf(UsageError);
    });

    it('refuses to provision hosts without the stack instance profile, before launching anything', async () => {
      await expect(
        provider().resolve('r', { provision: { count: 2, instanceType: 'c7g.large', ami: 'ami-1' } }),
      ).rejects.toThrow('no instance profile is configured');
      expect(ec2.calls()).toHaveLength(0);
    });

    it('refuses local hosts on the aws target', async () => {
      await expect(provider().resolve('r', { local: 2 })).rejects.toBeInstanceOf(UsageError);
    });
  });

  describe('Method: checkConnectivity', () => {
    it('keeps Online tagged running instances and explains every other one', async () => {
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              instance('i-ok'),
              instance('i-lost'),
              instance('i-none'),
              instance('i-untagged', { tagged: false }),
              instance('i-stopped', { state: 'stopped' }),
            ],
          },
        ],
      });
      ssm.on(DescribeInstanceInformationCommand).resolves({
        InstanceInformationList: [
          { InstanceId: 'i-ok', PingStatus: 'Online' },
          {
            InstanceId: 'i-lost',
            PingStatus: 'ConnectionLost',
            AgentVersion: '3.3.0',
            LastPingDateTime: new Date('2025-01-01T00:00:00Z'),
          },
          { InstanceId: 'i-untagged', PingStatus: 'Online' },
        ],
      });
      const hosts = ['i-ok', 'i-lost', 'i-none', 'i-untagged', 'i-stopped'].map((id) => ({ id, name: id }));

      const { reachable, unreachable } = await provider().checkConnectivity(hosts);

      expect(reachable).toEqual([{ id: 'i-ok', name: 'i-ok' }]);
      expect(Object.fromEntries(unreachable.map((u) => [u.host.id, u.reason]))).toEqual({
        'i-lost': 'SSM agent ConnectionLost (agent 3.3.0, last ping 2025-01-01T00:00:00.000Z)',
        'i-none': expect.stringMatching(/^not registered with SSM/),
        'i-untagged': expect.stringMatching(/^not tagged fleetbench=true/),
        'i-stopped': 'instance is stopped, not running',
      });
      expect(ssm.commandCalls(DescribeInstanceInformationCommand)[0]?.args[0].input.Filters).toEqual([
        { Key: 'InstanceIds', Values: hosts.map((h) => h.id) },
      ]);
    });
  });
});
