import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnExecutions } from '../../../lib/adapters/aws/sfn-executions.js';
import { awsError, noWait } from './aws-fakes.js';

const sfn = mockClient(SFNClient);
const SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:Fleetbench-run';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Fleetbench-run:abc';

function executions() {
  return new SfnExecutions({
    sfn: new SFNClient({ region: 'us-east-1' }),
    stateMachineArn: SM,
    retry: noWait(),
  });
}

beforeEach(() => {
  sfn.reset();
});

describe('Class: SfnExecutions', () => {
  it.each([
    ['RUNNING', true],
    ['SUCCEEDED', false],
    ['FAILED', false],
    ['ABORTED', false],
    ['TIMED_OUT', false],
  ] as const)('judges a %s execution alive: %s', async (status, alive) => {
    sfn.on(DescribeExecutionCommand, { executionArn: EXECUTION }).resolves({ status } as never);

    await expect(executions().isDriverAlive({ executionArn: EXECUTION })).resolves.toBe(alive);
  });

  it('judges a vanished execution dead', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist'));

    await expect(executions().isDriverAlive({ executionArn: EXECUTION })).resolves.toBe(false);
  });

  it("leaves local runs and other state machines' runs alone", async () => {
    await expect(executions().isDriverAlive({ engine: '42@laptop' })).resolves.toBeUndefined();
    await expect(
      executions().isDriverAlive({
        executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Other-run:abc',
      }),
    ).resolves.toBeUndefined();
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('stops an execution, and reports one that already ended', async () => {
    sfn
      .on(StopExecutionCommand)
      .resolvesOnce({ stopDate: new Date() })
      .rejects(awsError('ExecutionDoesNotExist'));

    await expect(executions().stop(EXECUTION, 'forced')).resolves.toBe(true);
    await expect(executions().stop(EXECUTION, 'forced')).resolves.toBe(false);
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toMatchObject({
      executionArn: EXECUTION,
      error: 'Fleetbench.ForceStopped',
    });
  });
});
