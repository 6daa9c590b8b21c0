import {
  type CommandInvocation,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommand,
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
const IDS = { runId: RUN, commandId: 'a1.repetition.cpu.3' };
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

/** GetCommandInvocation of one invocation, as SSM answers it for a command sent without output bucket. */
function got(status: string, extra: Partial<GetCommandInvocationCommandOutput> = {}) {
  return {
    CommandId: 'ssm-1',
    InstanceId: 'i-1',
    Comment: `fleetbench ${RUN} a1.repetition.cpu.3`,
    DocumentName: 'AWS-RunShellScript',
    PluginName: 'aws:runShellScript',
    Status: status as GetCommandInvocationCommandOutput['Status'],
    StatusDetails: status,
    ResponseCode: 0,
    ExecutionStartDateTime: '2025-01-02T03:04:06.000Z',
    ExecutionEndDateTime: '2025-01-02T03:05:06.000Z',
    StandardOutputContent: '{"ops": 1}\n',
    StandardErrorContent: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    ...extra,
  };
}

function listed(
  status: string,
  plugin: Record<string, unknown> = {},
  extra: Partial<CommandInvocation> = {},
) {
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
        ...plugin,
      },
    ],
    ...extra,
  } satisfies CommandInvocation;
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
  stdoutRef: 'ssm:ssm-1/i-1/stdout',
  stderrRef: 'ssm:ssm-1/i-1/stderr',
};

beforeEach(() => {
  ssm.reset();
});

describe('Class: SsmStatusEvents', () => {
  describe('Method: invocationResult', () => {
    it.each([
      ['Success', got('Success'), { status: 'Success', exitCode: 0 }],
      ['Failed', got('Failed', { ResponseCode: 2 }), { status: 'Failed', exitCode: 2 }],
      [
        'TimedOut',
        got('TimedOut', { ResponseCode: -1, StatusDetails: 'Execution Timed Out' }),
        { status: 'TimedOut' },
      ],
      ['Cancelled', got('Cancelled', { ResponseCode: -1 }), { status: 'Cancelled' }],
    ])('maps a %s invocation to an InvocationResult with its exit code, times and output held by SSM', async (status, answer, expected) => {
      // Prepare
      ssm.on(GetCommandInvocationCommand).resolves(answer);

      // Act
      const result = await translator().invocationResult(invocationEvent(status), IDS);

      // Assess
      expect(result).toEqual({ ...base, ...expected });
      expect(ssm.commandCalls(GetCommandInvocationCommand)[0]?.args[0].input).toEqual({
        CommandId: 'ssm-1',
        InstanceId: 'i-1',
      });
    });

    it('points to S3 for a command SSM uploaded the output of (a copy, an earlier fleetbench)', async () => {
      ssm
        .on(GetCommandInvocationCommand)
        .resolves(got('Success', { StandardOutputUrl: `${OUT}/stdout`, StandardErrorUrl: `${OUT}/stderr` }));

      const result = await translator().invocationResult(invocationEvent('Success'), IDS);

      expect(result).toMatchObject({
        stdoutRef: `s3://outputs-bucket/runs/${RUN}/outputs/a1.repetition.cpu.3/ssm-1/i-1/awsrunShellScript/0.awsrunShellScript/stdout`,
        stderrRef: `s3://outputs-bucket/runs/${RUN}/outputs/a1.repetition.cpu.3/ssm-1/i-1/awsrunShellScript/0.awsrunShellScript/stderr`,
      });
    });

    it('reports an undeliverable command as such, with the reason', async () => {
      ssm
        .on(GetCommandInvocationCommand)
        .resolves(got('Failed', { ResponseCode: -1, StatusDetails: 'Undeliverable' }));

      const result = await translator().invocationResult(invocationEvent('Failed'), IDS);

      expect(result?.status).toBe('Undeliverable');
      expect(result?.error).toMatch(/could not deliver/);
    });

    it('ignores statuses that are not an end without calling SSM', async () => {
      await expect(
        translator().invocationResult(invocationEvent('InProgress'), IDS),
      ).resolves.toBeUndefined();
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
    });

    it('retries InvocationDoesNotExist right after the command was sent', async () => {
      ssm
        .on(GetCommandInvocationCommand)
        .rejectsOnce(awsError('InvocationDoesNotExist'))
        .resolves(got('Success'));
      const retry = noWait();

      const result = await translator(retry).invocationResult(invocationEvent('Success'), IDS);

      expect(result?.status).toBe('Success');
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(2);
      expect(retry.sleep).toHaveBeenCalledTimes(1);
    });

    it('waits for SSM to show the end the event announced, and trusts the event when it never does', async () => {
      ssm.on(GetCommandInvocationCommand).resolves(got('InProgress', { ResponseCode: -1 }));

      const result = await translator({ ...noWait(), attempts: 3 }).invocationResult(
        invocationEvent('Success'),
        IDS,
      );

      expect(result?.status).toBe('Success');
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(3);
    });

    it('takes the ids from the journal, whatever the comment says (an elided one)', async () => {
      ssm.on(GetCommandInvocationCommand).resolves(got('Success', { Comment: `fleetbench ${RUN} *` }));

      const result = await translator().invocationResult(invocationEvent('Success'), {
        runId: RUN,
        commandId: `a1.repetition.${'w'.repeat(60)}.1`,
      });

      expect(result).toMatchObject({ runId: RUN, commandId: `a1.repetition.${'w'.repeat(60)}.1` });
    });
  });

  describe('Method: commandResults', () => {
    it('reads back every invocation of an ended command, outputs held by SSM', async () => {
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [
          listed('Success', { ResponseCode: 0 }),
          listed('Failed', { ResponseCode: 1 }, { InstanceId: 'i-2' }),
        ],
      });
      const event = ssmStatusEventSchema.parse({
        source: 'aws.ssm',
        'detail-type': COMMAND_STATUS_EVENT,
        detail: { 'command-id': 'ssm-1', 'document-name': 'AWS-RunShellScript', status: 'Failed' },
      }) as SsmCommandEvent;

      const results = await translator().commandResults(event, IDS);

      expect(results?.map((r) => [r.hostId, r.status, r.exitCode, r.stdoutRef])).toEqual([
        ['i-1', 'Success', 0, 'ssm:ssm-1/i-1/stdout'],
        ['i-2', 'Failed', 1, 'ssm:ssm-1/i-2/stdout'],
      ]);
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
    });
  });
});
