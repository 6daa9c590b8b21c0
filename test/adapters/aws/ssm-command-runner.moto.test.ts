/**
 * Contract of SSM Run Command and the S3 outputs with SSM and S3 as moto 5.2.1 plays them: the real
 * SsmCommandRunner sends its real SendCommand requests (batches of 50, no output bucket) through the real
 * SDK client, the command ids are read back from what SSM kept (ListCommands), the real SsmInvocationReader
 * reads an invocation with GetCommandInvocation, the real SsmOutputSpill sends its copy command with the
 * output bucket, and the real S3OutputStore reads the output objects where SSM writes them.
 *
 * What moto lacks, and where it is covered instead (ssm-command-runner.test.ts, ssm-status-event.test.ts,
 * ec2-host-provider.test.ts, with aws-sdk-client-mock) — the last describe fails when a moto upgrade brings
 * one of them, so its test can move here:
 * - ListCommandInvocations (`poll`, the reconciler, and the status-event translator's details);
 * - CancelCommand (`cancel`, stop);
 * - DescribeInstanceInformation (the SSM agent check).
 * moto runs no command either: its invocations are Success at once with an empty output, so no output is
 * written by SSM here; the objects are put at the keys SSM uses (`<prefix>/<commandId>/<instanceId>/awsrunShellScript/0.awsrunShellScript/stdout`).
 * moto's ListCommands also lists every instance of the region as a command's InstanceIds when it was sent
 * without Targets, so which hosts a batch targets is read from the requests sent, not from moto.
 */
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3OutputStore } from '../../../lib/adapters/aws/s3-output-store.js';
import { hostScript, SsmCommandRunner } from '../../../lib/adapters/aws/ssm-command-runner.js';
import { SsmInvocationReader } from '../../../lib/adapters/aws/ssm-invocation-reader.js';
import {
  outputKeyPrefix,
  parseCommandComment,
  s3RefFromUrl,
} from '../../../lib/adapters/aws/ssm-invocations.js';
import { SsmOutputSpill } from '../../../lib/adapters/aws/ssm-output-spill.js';
import type { CommandRequest } from '../../../lib/core/ports.js';
import type { Host } from '../../../lib/core/run.js';
import { type MotoServer, recordRequests, startMotoServer } from '../../support/moto-server.js';
import { noWait } from './aws-fakes.js';

const BUCKET = 'fleetbench-outputs-contract';
const RUN = 'cpu-20261206-050000-ab12';

let moto: MotoServer;
let hosts: Host[];

beforeAll(async () => {
  moto = await startMotoServer();
  await moto.clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const out = await moto.clients.ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
      MinCount: 120,
      MaxCount: 120,
    }),
  );
  hosts = (out.Instances ?? []).map((i, n) => ({ id: i.InstanceId ?? '', name: `host-${n}` }));
});

afterAll(async () => {
  await moto?.stop();
});

function request(overrides: Partial<CommandRequest> = {}): CommandRequest {
  const targets = overrides.hosts ?? hosts;
  return {
    runId: RUN,
    commandId: 'a1.repetition.cpu.3',
    phase: 'repetition',
    hosts: targets,
    script: "stress-ng --cpu 2 --timeout '60s' --metrics-brief",
    env: { FLEETBENCH_RUN_ID: RUN },
    hostEnv: Object.fromEntries(targets.map((h, n) => [h.id, { FLEETBENCH_SEED: String(1000 + n) }])),
    timeoutSeconds: 600,
    ...overrides,
  };
}

describe('Class: SsmCommandRunner on moto', () => {
  describe('Method: send', () => {
    it('sends 120 hosts as 3 commands of 50, 50 and 20, each with the script for its own batch', async () => {
      const sent = recordRequests(moto.clients.ssm);
      const runner = new SsmCommandRunner({ ssm: moto.clients.ssm, retry: noWait() });

      const { providerIds } = await runner.send(request());

      expect(providerIds).toHaveLength(3);
      const batches = sent.filter((r) => r.command === 'SendCommandCommand').map((r) => r.input.InstanceIds);
      expect(batches).toEqual(
        [hosts.slice(0, 50), hosts.slice(50, 100), hosts.slice(100)].map((b) => b.map((h) => h.id)),
      );
      for (const [n, providerId] of providerIds.entries()) {
        const kept = await moto.clients.ssm.send(new ListCommandsCommand({ CommandId: providerId }));
        const batch = hosts.slice(n * 50, n * 50 + 50);
        expect(kept.Commands?.[0]).toMatchObject({
          DocumentName: 'AWS-RunShellScript',
          Comment: `fleetbench ${RUN} a1.repetition.cpu.3`,
          OutputS3BucketName: '',
          Parameters: { commands: [hostScript(request(), batch)], executionTimeout: ['600'] },
          MaxConcurrency: '100%',
          MaxErrors: '100%',
        });
      }
    });

    it('keeps the run and command ids in the Comment, elided when too long', async () => {
      const runner = new SsmCommandRunner({ ssm: moto.clients.ssm, retry: noWait() });
      const longId = `a1.repetition.${'w'.repeat(60)}.1`;

      const [short] = (await runner.send(request({ hosts: hosts.slice(0, 2) }))).providerIds;
      const [long] = (await runner.send(request({ hosts: hosts.slice(0, 2), commandId: longId })))
        .providerIds;

      const comment = async (id: string | undefined) =>
        (await moto.clients.ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0]?.Comment;
      expect(parseCommandComment(await comment(short))).toEqual({
        runId: RUN,
        commandId: 'a1.repetition.cpu.3',
      });
      expect(parseCommandComment(await comment(long))).toBe('elided');
    });
  });
});

describe('Class: SsmInvocationReader on moto', () => {
  it('reads an invocation with GetCommandInvocation: status, exit code, times and the output SSM holds', async () => {
    const runner = new SsmCommandRunner({ ssm: moto.clients.ssm, retry: noWait() });
    const [providerId] = (await runner.send(request({ hosts: hosts.slice(0, 1) }))).providerIds;

    const invocation = await new SsmInvocationReader({ ssm: moto.clients.ssm, retry: noWait() }).get(
      providerId ?? '',
      hosts[0]?.id ?? '',
    );

    expect(invocation).toMatchObject({
      commandId: providerId,
      instanceId: hosts[0]?.id,
      status: 'Success',
      exitCode: 0,
      comment: `fleetbench ${RUN} a1.repetition.cpu.3`,
      stdout: '',
      stderr: '',
    });
    expect(Date.parse(invocation.startedAt ?? '')).not.toBeNaN();
    expect(invocation.stdoutRef).toBeUndefined();
  });
});

describe('Class: SsmOutputSpill on moto', () => {
  it('sends the copy of a kept output as a one-host command with the output bucket and prefix', async () => {
    const sent = recordRequests(moto.clients.ssm);
    const spill = new SsmOutputSpill({
      ssm: moto.clients.ssm,
      outputBucket: BUCKET,
      invocations: new SsmInvocationReader({ ssm: moto.clients.ssm, retry: noWait() }),
      retry: noWait(),
    });
    const host = hosts[0]?.id ?? '';

    const refs = await spill.copyToS3({ runId: RUN, commandId: 'a1.repetition.cpu.3', hostId: host });

    const [send] = sent.filter((r) => r.command === 'SendCommandCommand');
    const kept = await moto.clients.ssm.send(
      new ListCommandsCommand({ CommandId: refs?.stdoutRef.split('/')[7] }),
    );
    expect(kept.Commands?.[0]).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      OutputS3BucketName: BUCKET,
      OutputS3KeyPrefix: outputKeyPrefix(RUN, 'a1.repetition.cpu.3'),
    });
    expect(send?.input.InstanceIds).toEqual([host]);
    // moto reports no output URL: the refs follow SSM's layout under the prefix.
    expect(refs?.stdoutRef).toMatch(
      new RegExp(
        `^s3://${BUCKET}/runs/${RUN}/outputs/a1\\.repetition\\.cpu\\.3/[0-9a-f-]{36}/${host}/awsrunShellScript/0\\.awsrunShellScript/stdout$`,
      ),
    );
  });
});

describe('Class: S3OutputStore on moto', () => {
  const stdoutKey = (providerId: string, instanceId: string) =>
    `${outputKeyPrefix(RUN, 'a1.repetition.cpu.3')}/${providerId}/${instanceId}/awsrunShellScript/0.awsrunShellScript/stdout`;
  const lines = Array.from(
    { length: 200 },
    (_, n) => `line ${String(n).padStart(3, '0')} of stress-ng output`,
  );

  beforeAll(async () => {
    await moto.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: stdoutKey('cmd-1', 'i-1'), Body: `${lines.join('\n')}\n` }),
    );
    await moto.clients.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: stdoutKey('cmd-1', 'i-2'), Body: new Uint8Array() }),
    );
  });

  it('reads a whole output object by the URL SSM reports for it', async () => {
    const ref = s3RefFromUrl(`${moto.endpoint}/${BUCKET}/${stdoutKey('cmd-1', 'i-1')}`);

    const text = await new S3OutputStore({ s3: moto.clients.s3 }).read(ref ?? '');

    expect(ref).toBe(`s3://${BUCKET}/${stdoutKey('cmd-1', 'i-1')}`);
    expect(text).toBe(`${lines.join('\n')}\n`);
  });

  it('reads only the end of a long output, from the first whole line', async () => {
    const text = await new S3OutputStore({ s3: moto.clients.s3 }).read(
      `s3://${BUCKET}/${stdoutKey('cmd-1', 'i-1')}`,
      100,
    );

    // Each line is 29 bytes: the last 100 are 3 whole lines and the end of the 4th, which is dropped.
    expect(text).toBe(`${lines.slice(-3).join('\n')}\n`);
  });

  it.each([
    ['an empty output', 'i-2'],
    ['an output SSM never wrote', 'i-3'],
  ])('reads %s as empty', async (_what, instanceId) => {
    const text = await new S3OutputStore({ s3: moto.clients.s3 }).read(
      `s3://${BUCKET}/${stdoutKey('cmd-1', instanceId)}`,
      100,
    );

    expect(text).toBe('');
  });
});

describe('What moto 5.2.1 lacks (mocked tests cover it; move them here when this fails)', () => {
  it.each([
    ['ListCommandInvocations', () => new ListCommandInvocationsCommand({ CommandId: 'x', Details: true })],
    ['CancelCommand', () => new CancelCommandCommand({ CommandId: 'x' })],
    [
      'DescribeInstanceInformation',
      () => new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ['i-1'] }] }),
    ],
  ])('%s is not implemented', async (_name, command) => {
    // moto answers an unknown action with an HTML page, which the SDK cannot read as an SSM answer.
    const error = await moto.clients.ssm
      .send(command() as ListCommandInvocationsCommand)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/not valid JSON|Deserialization/);
  });
});
