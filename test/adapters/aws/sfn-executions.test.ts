import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
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

  it('starts an execution of its state machine, named, with the input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });

    await expect(executions().start({ plan: { name: 'cpu' }, runId: 'r' }, 'r')).resolves.toBe(EXECUTION);

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: SM,
      name: 'r',
      input: '{"plan":{"name":"cpu"},"runId":"r"}',
    });
  });

  it('describes an execution with its error only when it failed', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' } as never)
      .resolves({ status: 'FAILED', error: 'Fleetbench.PlanRejected', cause: 'see the step' } as never);

    await expect(executions().describe(EXECUTION)).resolves.toEqual({ status: 'RUNNING' });
    await expect(executions().describe(EXECUTION)).resolves.toEqual({
      status: 'FAILED',
      error: 'Fleetbench.PlanRejected',
      cause: 'see the step',
    });
  });

  it.each([
    [
      'a Lambda error, as its type and message',
      {
        taskFailedEventDetails: {
          error: 'UsageError',
          cause: '{"errorType":"UsageError","errorMessage":"no instance"}',
        },
      },
      { error: 'UsageError', cause: 'no instance' },
    ],
    [
      'a plain cause, as it is',
      { taskFailedEventDetails: { error: 'States.Timeout', cause: 'timed out' } },
      { error: 'States.Timeout', cause: 'timed out' },
    ],
    [
      'a lambda function failure',
      { lambdaFunctionFailedEventDetails: { error: 'Error', cause: '{"errorMessage":"boom"}' } },
      { error: 'Error', cause: 'boom' },
    ],
  ])('reads the last task failure from the history: %s', async (_what, details, expected) => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 5, timestamp: new Date(), type: 'ExecutionFailed' },
        { id: 4, timestamp: new Date(), type: 'TaskFailed', ...details },
      ],
    } as never);

    await expect(executions().taskFailure(EXECUTION)).resolves.toEqual(expected);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toMatchObject({
      executionArn: EXECUTION,
      reverseOrder: true,
    });
  });

  it('finds no task failure in a history without one', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    await expect(executions().taskFailure(EXECUTION)).resolves.toBeUndefined();
  });
});
