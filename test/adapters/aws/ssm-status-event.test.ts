import {
  type CommandInvocation,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  COMMAND_STATUS_EVENT,
  INVOCATION_STATUS_EVENT,
  type SsmCommandEvent,
  type SsmInvocationEvent,
  SsmStatusEvents,
  ssmStatusEventSchema,
} from '../../../lib/adapters/aws/ssm-status-event.js';
import { awsError, noWait } from './aws-fakes.js';

const ssm = mockClient(SSMClient);
const RUN = 'cpu-20250102-030405-i000';
const OUT = `https://s3.us-east-1.amazonaws.com/outputs-bucket/runs/${RUN}/outputs/a1.repetition.cpu.3/ssm-1/i-1/awsrunShellScript/0.awsrunShellScript`;

function invocationEvent(status: string, instanceId = 'i-1'): SsmInvocationEvent {
  return ssmStatusEventSchema.parse({
    version: '0',
    id: 'evt',
    source: 'aws.ssm',
    'detail-type': INVOCATION_STATUS_EVENT,
    detail: {
      'command-id': 'ssm-1',
      'document-name': 'AWS-RunShellScript',
      'instance-id': instanceId,
      'requested-date-time': '2025-01-02T03:04:05.000Z',
      status,
    },
  }) as SsmInvocationEvent;
}

function invocation(
  status: string,
  plugin: Record<string, unknown> = {},
  extra: Partial<CommandInvocation> = {},
): CommandInvocation {
  return {
    CommandId: 'ssm-1',
    InstanceId: 'i-1',
    Comment: `fleetbench ${RUN} a1.repetition.cpu.3`,
    Status: status as CommandInvocation['Status'],
    CommandPlugins: [
      {
        Name: 'aws:runShellScript',
        ResponseStartDateTime: new Date('2025-01-02T03:04:06.000Z'),
        ResponseFinishDateTime: new Date('2025-01-02T03:05:06.000Z'),
        StandardOutputUrl: `${OUT}/stdout`,
        StandardErrorUrl: `${OUT}/stderr`,
        ...plugin,
      },
    ],
    ...extra,
  };
}

function translator(retry = noWait()) {
  return new SsmStatusEvents({ ssm: new SSMClient({ region: 'us-east-1' }), retry });
}

const base = {
  runId: RUN,
  commandId: 'a1.repetition.cpu.3',
  hostId: 'i-1',
  startedAt: '2025-01-02T03:04:06.000Z',
  finishedAt: '2025-01-02T03:05:06.000Z',
  stdoutRef: `s3://outputs-bucket/runs/${RUN}/outputs/a1.repetition.cpu.3/ssm-1/i-1/awsrunShellScript/0.awsrunShellScript/stdout`,
  stderrRef: `s3://outputs-bucket/runs/${RUN}/outputs/a1.repetition.cpu.3/ssm-1/i-1/awsrunShellScript/0.awsrunShellScript/stderr`,
};

beforeEach(() => {
  ssm.reset();
});

describe('Class: SsmStatusEvents', () => {
  describe('Method: invocationResult', () => {
    it.each([
      ['Success', invocation('Success', { ResponseCode: 0 }), { status: 'Success', exitCode: 0 }],
      ['Failed', invocation('Failed', { ResponseCode: 2 }), { status: 'Failed', exitCode: 2 }],
      [
        'TimedOut',
        invocation('TimedOut', { ResponseCode: -1 }, { StatusDetails: 'Execution Timed Out' }),
        { status: 'TimedOut' },
      ],
      ['Cancelled', invocation('Cancelled', { ResponseCode: -1 }), { status: 'Cancelled' }],
    ])('maps a %s invocation to an InvocationResult with its exit code, times and S3 output', async (status, listed, expected) => {
      // Prepare
      ssm.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [listed] });

      // Act
      const result = await translator().invocationResult(invocationEvent(status));

      // Assess
      expect(result).toEqual({ ...base, ...expected });
      expect(ssm.commandCalls(ListCommandInvocationsCommand)[0]?.args[0].input).toEqual({
        CommandId: 'ssm-1',
        InstanceId: 'i-1',
        Details: true,
      });
    });

    it('reports an undeliverable command as such, with the reason', async () => {
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [invocation('Failed', { ResponseCode: -1 }, { StatusDetails: 'Undeliverable' })],
      });

      const result = await translator().invocationResult(invocationEvent('Failed'));

      expect(result?.status).toBe('Undeliverable');
      expect(result?.error).toMatch(/could not deliver/);
    });

    it("returns undefined for somebody else's command", async () => {
      ssm
        .on(ListCommandInvocationsCommand)
        .resolves({ CommandInvocations: [invocation('Success', {}, { Comment: 'nightly patching' })] });

      await expect(translator().invocationResult(invocationEvent('Success'))).resolves.toBeUndefined();
    });

    it('ignores statuses that are not an end without calling SSM', async () => {
      await expect(translator().invocationResult(invocationEvent('InProgress'))).resolves.toBeUndefined();
      expect(ssm.commandCalls(ListCommandInvocationsCommand)).toHaveLength(0);
    });

    it('retries InvocationDoesNotExist and an empty answer right after the command was sent', async () => {
      ssm
        .on(ListCommandInvocationsCommand)
        .rejectsOnce(awsError('InvocationDoesNotExist'))
        .resolvesOnce({ CommandInvocations: [] })
        .resolves({ CommandInvocations: [invocation('Success', { ResponseCode: 0 })] });
      const retry = noWait();

      const result = await translator(retry).invocationResult(invocationEvent('Success'));

      expect(result?.status).toBe('Success');
      expect(ssm.commandCalls(ListCommandInvocationsCommand)).toHaveLength(3);
      expect(retry.sleep).toHaveBeenCalledTimes(2);
    });

    it('waits for SSM to list the end the event announced, and trusts the event when it never does', async () => {
      ssm
        .on(ListCommandInvocationsCommand)
        .resolves({ CommandInvocations: [invocation('InProgress', { ResponseCode: -1 })] });

      const result = await translator({ ...noWait(), attempts: 3 }).invocationResult(
        invocationEvent('Success'),
      );

      expect(result?.status).toBe('Success');
      expect(ssm.commandCalls(ListCommandInvocationsCommand)).toHaveLength(3);
    });

    it('finds the ids in the S3 output prefix when the comment had to be elided', async () => {
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [invocation('Success', { ResponseCode: 0 }, { Comment: `fleetbench ${RUN} *` })],
      });

      const result = await translator().invocationResult(invocationEvent('Success'));

      expect(result).toMatchObject({ runId: RUN, commandId: 'a1.repetition.cpu.3' });
    });

    it('asks ListCommands for the prefix when an elided command has no output URL', async () => {
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [
          {
            CommandId: 'ssm-1',
            InstanceId: 'i-1',
            Comment: `fleetbench ${RUN} *`,
            Status: 'Failed',
            StatusDetails: 'Undeliverable',
          },
        ],
      });
      ssm
        .on(ListCommandsCommand)
        .resolves({ Commands: [{ OutputS3KeyPrefix: `runs/${RUN}/outputs/a1.setup.cpu` }] });

      const result = await translator().invocationResult(invocationEvent('Failed'));

      expect(result).toMatchObject({ runId: RUN, commandId: 'a1.setup.cpu', status: 'Undeliverable' });
    });
  });

  describe('Method: commandResults', () => {
    it('reads back every invocation of an ended command', async () => {
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [
          invocation('Success', { ResponseCode: 0 }),
          invocation('Failed', { ResponseCode: 1 }, { InstanceId: 'i-2' }),
        ],
      });
      const event = ssmStatusEventSchema.parse({
        source: 'aws.ssm',
        'detail-type': COMMAND_STATUS_EVENT,
        detail: { 'command-id': 'ssm-1', 'document-name': 'AWS-RunShellScript', status: 'Failed' },
      }) as SsmCommandEvent;

      const results = await translator().commandResults(event);

      expect(results?.map((r) => [r.hostId, r.status, r.exitCode])).toEqual([
        ['i-1', 'Success', 0],
        ['i-2', 'Failed', 1],
      ]);
    });
  });
});
