/**
 * The IAM rehearsal's allow-list: actions a principal is granted although no rehearsal scenario requests
 * them, each with why the grant stays. The rehearsal (test/infra/iam-rehearsal.test.ts) fails on any other
 * granted action no request used; the construct tests (test/infra/run-functions.test.ts) expect a
 * function's policies to grant exactly what the rehearsal recorded it requesting (rehearsed-actions.ts)
 * plus what this list allows — so both read one list.
 */
import type { Principal } from './requests.js';

/**
 * Granted actions no scenario of the rehearsal makes, each with why the grant stays. Everything else
 * granted must be used by a recorded request, so a grant that loses its caller is noticed.
 */
export const UNEXERCISED: Readonly<Partial<Record<Principal, Readonly<Record<string, string>>>>> = {
  'function:planRun': {
    'ec2:RunInstances': 'launching ephemeral hosts (`hosts: {provision}`): the fake fleet has no EC2 launch',
    'ec2:CreateTags': 'tagging at launch, part of RunInstances (ec2:CreateAction condition)',
    'iam:PassRole': 'passing the host role to the instances plan-run launches',
    'ssm:GetParameter': 'resolving a provisioned plan’s AMI from the public /aws/service/ parameters',
    'ec2:TerminateInstances': 'terminating launched hosts when a provisioned plan cannot start',
  },
  'function:runCommand': {
    'states:SendTaskSuccess':
      'a step with nothing to run (no setup, a workload that never started) completes its token at once; every step here runs',
    'states:SendTaskFailure': 'a retried step whose command had ended failed answers its new token at once',
    'ssm:CancelCommand': 'a half-sent step (a later SendCommand batch failed) cancels the batches it sent',
  },
  'function:onInvocationStatus': {
    's3:ListBucket': 'telling a missing output (404) from a denied one (403)',
    'ssm:ListCommandInvocations': 'a per-command status event recovering hosts that never reported',
  },
  'function:stopRun': {
    'states:SendTaskFailure':
      'failing the step whose hosts never confirmed the stop (STOP_FAILED; test/lambdas/workflow.test.ts); here every host confirms',
  },
  'function:finalizeRun': {
    'ec2:TerminateInstances': 'terminating the ephemeral hosts of a provisioned run',
  },
  'function:reconcile': {
    'ec2:TerminateInstances': 'terminating orphaned ephemeral hosts of a provisioned run',
    'ssm:ListCommandInvocations': 'polling commands still SENT after 10 minutes (lost status events)',
    'ssm:GetCommandInvocation': 'reading the outputs of the commands it polls',
    's3:GetObject': 'reading the outputs of the commands it polls',
    'ssm:SendCommand': 'copying to S3 an output too long for SSM to return, of a command it polls',
    's3:ListBucket': 'telling a missing output from a denied one when polling',
    'states:SendTaskSuccess': 'completing the tokens of the commands it polls',
    'states:SendTaskFailure': 'as above',
    'states:DescribeExecution':
      'telling a dead execution from a live one (runs open for over the grace period)',
    'events:PutEvents': 'publishing run.failed for a run whose execution died',
  },
  stateMachine: {
    'states:StopExecution':
      'Step Functions stopping a free run’s child executions when the parent is stopped',
    'logs:CreateLogDelivery': 'CDK’s execution logging to CloudWatch Logs (set up by Step Functions)',
    'logs:GetLogDelivery': 'as above',
    'logs:UpdateLogDelivery': 'as above',
    'logs:DeleteLogDelivery': 'as above',
    'logs:ListLogDeliveries': 'as above',
    'logs:PutResourcePolicy': 'as above',
    'logs:DescribeResourcePolicies': 'as above',
    'logs:DescribeLogGroups': 'as above',
    'xray:PutTraceSegments': 'X-Ray tracing of executions (tracingEnabled)',
    'xray:PutTelemetryRecords': 'as above',
    'xray:GetSamplingRules': 'as above',
    'xray:GetSamplingTargets': 'as above',
  },
  cli: {
    'states:GetExecutionHistory': '`run` printing why the Plan run step refused a run',
    'states:StopExecution': '`stop --force`',
  },
};

const dynamodb = (operation: string) => `dynamodb:${operation}`;

/**
 * The item actions granted on each table: one set per table (JOURNAL_ACTIONS, CATALOG_ACTIONS in
 * lib/infra/run-functions.ts), granted to every function that uses the table; each issues the subset its
 * paths reach (BatchWriteItem for a step's tasks, BatchGetItem for a step's commands, …). Splitting the
 * set per function would tie each grant to the repositories' internals for a few actions on the same table.
 */
export const TABLE_ITEM_ACTIONS = {
  journal: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'].map(dynamodb),
  catalog: ['GetItem', 'PutItem', 'UpdateItem'].map(dynamodb),
} as const satisfies Record<string, readonly string[]>;

const SHARED_TABLE_ACTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  [...TABLE_ITEM_ACTIONS.journal, ...TABLE_ITEM_ACTIONS.catalog].map((a) => [
    a,
    'one set of item actions per table (see TABLE_ITEM_ACTIONS)',
  ]),
);

/** What every function's role carries for the Lambda service itself: its logs and X-Ray traces. */
export const LAMBDA_SERVICE_ACTIONS: Readonly<Record<string, string>> = {
  'logs:CreateLogStream': 'the Lambda service writing the function’s own logs',
  'logs:PutLogEvents': 'as above',
  'xray:PutTraceSegments': 'active tracing',
  'xray:PutTelemetryRecords': 'active tracing',
};

/**
 * Every action `principal` may be granted without a recorded request, with why.
 * @example
 * 'ec2:TerminateInstances' in allowedUnused('function:finalizeRun'); // → true
 */
export function allowedUnused(principal: Principal): Readonly<Record<string, string>> {
  return {
    ...(principal.startsWith('function:') ? { ...LAMBDA_SERVICE_ACTIONS, ...SHARED_TABLE_ACTIONS } : {}),
    ...UNEXERCISED[principal],
  };
}
