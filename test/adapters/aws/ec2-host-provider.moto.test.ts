/**
 * Contract of the EC2 host adapter with EC2 as moto 5.2.1 plays it: the real Ec2HostProvider sends its real
 * RunInstances / DescribeInstances / TerminateInstances / GetParameter requests through the real SDK clients.
 *
 * What moto lacks, and where it is covered instead (ec2-host-provider.test.ts, ec2-provisioner.test.ts,
 * ec2-cleanup.test.ts, with aws-sdk-client-mock):
 * - SSM DescribeInstanceInformation (moto has no SSM agents): answered here in the SSM client, an instance
 *   moto reports running having an Online agent; `checkConnectivity`'s agent checks stay mocked.
 * - The DescribeInstances filter `iam-instance-profile.arn` (moto raises NotImplemented): listing and
 *   terminating "this stack's" instances is run here without a profile (tags only); the profile narrowing
 *   stays mocked.
 * - RunInstances ClientToken idempotency (moto launches a second instance for a repeated token): the
 *   retried-PlanRun case stays mocked.
 * fleetbench launches with RunInstances parameters, not with an EC2 launch template.
 */
import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type Instance,
  RunInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2HostProvider } from '../../../lib/adapters/aws/ec2-host-provider.js';
import type { HostObservation } from '../../../lib/core/host-lifecycle.js';
import {
  answerLocally,
  type MotoServer,
  recordRequests,
  startMotoServer,
} from '../../support/moto-server.js';
import { noWait } from './aws-fakes.js';

const AL2023 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';

let moto: MotoServer;
let profileArn: string;

beforeAll(async () => {
  moto = await startMotoServer();
  profileArn = await moto.createInstanceProfile('Fleetbench-hosts');
  // moto has no SSM agents: an instance it reports running registers an Online agent, as a real AL2023 host does.
  answerLocally(moto.clients.ssm, 'DescribeInstanceInformationCommand', async (input) => {
    const filters = (input.Filters ?? []) as { Key: string; Values: string[] }[];
    const ids = filters.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
    const out = await moto.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
    const running = (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.State?.Name === 'running');
    return {
      InstanceInformationList: running.map((i) => ({ InstanceId: i.InstanceId, PingStatus: 'Online' })),
    };
  });
});

afterAll(async () => {
  await moto?.stop();
});

/** Every instance moto holds with a tag `key=value`, whatever its state. */
async function instancesTagged(key: string, value: string): Promise<Instance[]> {
  const out = await moto.clients.ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: `tag:${key}`, Values: [value] }] }),
  );
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

/** One instance in its own reservation, as a user launches them one by one. */
async function launchTagged(tags: Record<string, string>): Promise<string> {
  const out = await moto.clients.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [
        { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

function provider(options: { profile: boolean }) {
  return new Ec2HostProvider({
    ec2: moto.clients.ec2,
    ssm: moto.clients.ssm,
    retry: noWait(),
    readyTimeoutMs: 30_000,
    pollIntervalMs: 20,
    ...(options.profile ? { instanceProfileArn: profileArn } : {}),
  });
}

describe('Class: Ec2HostProvider on moto', () => {
  describe('Method: resolve ({provision})', () => {
    const RUN = 'smoke-20261206-050000-ab12';
    let hosts: Awaited<ReturnType<Ec2HostProvider['resolve']>>;
    const seen: HostObservation[] = [];

    beforeAll(async () => {
      hosts = await provider({ profile: true }).resolve(
        RUN,
        { provision: { count: 3, instanceType: 't3.small', ami: AL2023 } },
        {
          attempt: 1,
          onHostState: async (o) => {
            seen.push(o);
          },
        },
      );
    });

    it('launches the hosts from the AMI the public SSM parameter names, with the stack profile, IMDSv2 and terminate-on-shutdown', async () => {
      const ami = await moto.clients.ssm.send(new GetParameterCommand({ Name: AL2023 }));

      const launched = await instancesTagged('fleetbench:run', RUN);

      expect(launched).toHaveLength(3);
      for (const instance of launched) {
        expect(instance).toMatchObject({
          ImageId: ami.Parameter?.Value,
          InstanceType: 't3.small',
          State: { Name: 'running' },
          IamInstanceProfile: { Arn: profileArn },
          MetadataOptions: expect.objectContaining({ HttpTokens: 'required', HttpEndpoint: 'enabled' }),
        });
      }
    });

    it('tags each instance and its volumes with the tags the stack policy requires, and names them per host', async () => {
      const launched = await instancesTagged('fleetbench:run', RUN);

      const tagsOf = (i: Instance) => Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]));

      expect(launched.map(tagsOf).sort((a, b) => String(a.Name).localeCompare(String(b.Name)))).toEqual(
        [1, 2, 3].map((n) => ({
          'fleetbench:managed': 'true',
          'fleetbench:run': RUN,
          fleetbench: 'true',
          Name: `fleetbench-${RUN}-${n}`,
        })),
      );
      const volumes = await moto.clients.ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'tag:fleetbench:run', Values: [RUN] }] }),
      );
      expect(volumes.Volumes?.length).toBeGreaterThanOrEqual(3);
    });

    it('returns each host running with its address and reports REQUESTED → PENDING → RUNNING → SSM_ONLINE', () => {
      expect(hosts.map((h) => h.name)).toEqual([1, 2, 3].map((n) => `fleetbench-${RUN}-${n}`));
      expect(hosts.every((h) => /^i-[0-9a-f]+$/.test(h.id) && h.address !== undefined)).toBe(true);
      for (const host of hosts) {
        expect(seen.filter((o) => o.instanceId === host.id).map((o) => o.state)).toEqual([
          'REQUESTED',
          'PENDING',
          'RUNNING',
          'SSM_ONLINE',
        ]);
      }
    });
  });

  describe('Method: resolve ({tags})', () => {
    it('finds every running instance with the tags across DescribeInstances pages, sorted by id', async () => {
      // moto pages DescribeInstances by 100 reservations, and each of these is its own reservation.
      const team = { team: 'perf-paging', fleetbench: 'true' };
      const ids: string[] = [];
      for (let n = 0; n < 105; n += 1) ids.push(await launchTagged(team));
      await launchTagged({ team: 'other', fleetbench: 'true' });
      const ec2 = provider({ profile: false });
      const sent = recordRequests(moto.clients.ec2);

      const hosts = await ec2.resolve('tags-20261206-050000-ab12', { tags: { team: 'perf-paging' } });

      expect(hosts.map((h) => h.id)).toEqual([...ids].sort());
      const pages = sent.filter((r) => r.command === 'DescribeInstancesCommand');
      expect(pages.length).toBe(2);
      expect(pages[1]?.input.NextToken).toEqual(expect.any(String));
    });

    it('leaves out instances with the tags that are not running', async () => {
      const id = await launchTagged({ team: 'stopped-one' });
      await moto.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));

      const error = await provider({ profile: false })
        .resolve('tags-20261206-050001-ab12', { tags: { team: 'stopped-one' } })
        .catch((e: unknown) => e);

      expect((error as Error).message).toBe('no running instance has the tags team=stopped-one');
    });
  });

  describe('Method: release', () => {
    it('terminates the run’s managed instances and never an instance the user brought', async () => {
      const RUN = 'release-20261206-050000-ab12';
      const hosts = await provider({ profile: true }).resolve(RUN, {
        provision: { count: 2, instanceType: 't3.micro', ami: 'ami-12c6146b' },
      });
      const usersOwn = await launchTagged({ 'fleetbench:run': RUN, fleetbench: 'true' });
      const terminated: HostObservation[] = [];

      // Without the profile: moto lacks the iam-instance-profile.arn filter (see the top of this file).
      await provider({ profile: false }).release(RUN, hosts, {
        reason: 'run ended',
        onHostState: async (o) => {
          terminated.push(o);
        },
      });

      const states = Object.fromEntries(
        (await instancesTagged('fleetbench:run', RUN)).map((i) => [i.InstanceId, i.State?.Name]),
      );
      for (const host of hosts) expect(['shutting-down', 'terminated']).toContain(states[host.id]);
      expect(states[usersOwn]).toBe('running');
      expect(new Set(terminated.filter((o) => o.state === 'TERMINATING').map((o) => o.instanceId))).toEqual(
        new Set(hosts.map((h) => h.id)),
      );
    });

    it('lists the stack’s instances of every run, terminated ones included, for the reconciler', async () => {
      const managed = await provider({ profile: false }).listManaged();

      const release = managed.filter((h) => h.runId === 'release-20261206-050000-ab12');

      expect(release).toHaveLength(2);
      expect(release.every((h) => h.status === 'terminating' || h.status === 'terminated')).toBe(true);
      expect(
        managed.filter((h) => h.runId === 'smoke-20261206-050000-ab12' && h.status === 'active'),
      ).toHaveLength(3);
    });
  });
});
