import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnTaskCallbacks } from '../../../lib/adapters/aws/sfn-task-callbacks.js';
import { awsError, noWait, recordingLogger } from './aws-fakes.js';

const sfn = mockClient(SFNClient);

function callbacks(logger = recordingLogger()) {
  return new SfnTaskCallbacks({ sfn: new SFNClient({ region: 'us-east-1' }), logger, retry: noWait() });
}

beforeEach(() => {
  sfn.reset();
});

describe('Class: SfnTaskCallbacks', () => {
  it('sends the output as JSON on success', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});

    await callbacks().success('token', { commandId: 'a1.setup.cpu', failedHosts: [] });

    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'token',
      output: '{"commandId":"a1.setup.cpu","failedHosts":[]}',
    });
  });

  it('sends the error name the state machine matches, with the cause cut to 32,768 characters', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});

    await callbacks().failure('token', 'Fleetbench.StopRequested', 'x'.repeat(40_000));

    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input?.error).toBe('Fleetbench.StopRequested');
    expect(input?.cause).toHaveLength(32_768);
  });

  it.each([
    'TaskTimedOut',
    'TaskDoesNotExist',
    'InvalidToken',
  ])('swallows %s on failure: the step already ended', async (name) => {
    sfn.on(SendTaskFailureCommand).rejects(awsError(name));
    const logger = recordingLogger();

    await expect(
      callbacks(logger).failure('token', 'Fleetbench.StepFailed', 'cause'),
    ).resolves.toBeUndefined();

    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'task token already closed; outcome dropped',
        fields: { kind: 'failure', reason: name },
      },
    ]);
  });

  it('rethrows other errors', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(awsError('AccessDeniedException'));

    await expect(callbacks().success('token', {})).rejects.toThrow('AccessDeniedException');
  });
});
