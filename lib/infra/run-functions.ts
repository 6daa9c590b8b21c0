/**
 * The six fleetbench Lambdas and, for each, exactly the permissions its use case needs — written as a
 * table (FUNCTIONS) so a reviewer reads each function's access in one line and a test can check it.
 *
 * Scoping, capability by capability:
 * - tables: only the item actions the repositories issue, on this stack's two tables (and the catalog's
 *   `byCreatedAt` index only for the functions that list runs);
 * - `ssm:SendCommand`: the `AWS-RunShellScript` document, and only EC2 instances tagged `fleetbench=true`
 *   (the instances a user benchmarks cannot be known at deploy time, so the tag is the boundary) — for
 *   run-command's steps, and for the one-host commands that copy an output too long for SSM to return to S3
 *   (on-invocation-status, reconcile);
 * - task tokens: `states:SendTask*` on this stack's state machine and its Distributed Map children (a free
 *   run's steps wait in child executions, whose tokens Step Functions authorizes against the child's
 *   state machine, `<name>/<map run label>`); StopExecution/DescribeExecution on its executions only (the state machine ARN is computed from its name: referencing the construct would
 *   make the functions and the state machine depend on each other);
 * - `events:PutEvents` on the fleetbench bus; S3 reads under `runs/` of the output bucket;
 * - ephemeral hosts (`hosts: {provision}`): RunInstances only with the request tag `fleetbench:managed=true`
 *   on what it creates (instance, volumes, spot request), CreateTags only as part of RunInstances, PassRole
 *   of the host role to EC2 only, GetParameter on the public `/aws/service/` parameters (AMI ids); and
 *   TerminateInstances only on instances tagged `fleetbench:managed=true` — the stack never ends a host it
 *   did not launch;
 * - with the stack's `runRetention`, the reconciler alone may delete: DeleteItem on the two tables and
 *   DeleteObject under `runs/` of the output bucket (the purge of runs that ended long enough ago);
 * - the few actions that have no resource-level permissions (SSM Cancel/List/DescribeInstanceInformation,
 *   EC2 DescribeInstances) sit in a separate policy per function, acknowledged with that reason.
 */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONFIG_ENV, OPTIONAL_CONFIG_ENV } from '../adapters/aws/config.js';
import { FLEETBENCH_TAG } from '../adapters/aws/ec2-host-provider.js';
import { MANAGED_TAG } from '../adapters/aws/ec2-tags.js';
import { CATALOG_KEYS } from '../adapters/dynamodb/tables.js';
import { FleetbenchFunction } from './fleetbench-function.js';
import { acknowledgeWildcards } from './nag.js';
import { OUTPUTS_PREFIX } from './output-bucket.js';

/** What a function may do; each capability maps to IAM statements in `statementsFor`. */
export type Capability =
  | 'journal'
  | 'catalog'
  | 'listRuns'
  | 'publishEvents'
  | 'readOutputs'
  | 'sendCommands'
  | 'copyOutputs'
  | 'readCommands'
  | 'cancelCommands'
  | 'describeHosts'
  | 'provisionHosts'
  | 'terminateHosts'
  | 'completeTasks'
  | 'failTasks'
  | 'stopExecutions'
  | 'describeExecutions'
  | 'purgeRuns';

type FunctionSpec = {
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly access: readonly Capability[];
};

/** Every function, its limits and its access. */
export const FUNCTIONS = {
  planRun: {
    handler: 'plan-run',
    description:
      'Plan run: validates the plan, resolves (or launches) and checks the hosts, writes catalog and journal',
    // Launching hosts waits for them to be running with SSM Online (10 minutes by default).
    timeout: Duration.minutes(15),
    access: ['journal', 'catalog', 'publishEvents', 'describeHosts', 'provisionHosts', 'terminateHosts'],
  },
  runCommand: {
    handler: 'run-command',
    description: 'Run a step: sends the SSM command for a setup, repetition or teardown',
    timeout: Duration.minutes(2),
    access: ['journal', 'catalog', 'publishEvents', 'sendCommands', 'completeTasks'],
  },
  onInvocationStatus: {
    handler: 'on-invocation-status',
    description: 'SSM status events: records each host result, completes the step when all answered',
    timeout: Duration.minutes(2),
    // Reads a command's invocations and copies an output too long for SSM to return to S3; never cancels
    // (the stop and the fail-fast cancel, in stop-run and run-command).
    access: [
      'journal',
      'catalog',
      'publishEvents',
      'readOutputs',
      'readCommands',
      'copyOutputs',
      'completeTasks',
    ],
  },
  stopRun: {
    handler: 'stop-run',
    description: 'Stop Requested events: records the stop, cancels commands, waits for the hosts to confirm',
    timeout: Duration.minutes(15),
    // Fails the waiting steps it stopped; never completes one.
    access: ['journal', 'catalog', 'publishEvents', 'cancelCommands', 'failTasks', 'stopExecutions'],
  },
  finalizeRun: {
    handler: 'finalize-run',
    description:
      'Finalize run: decides the final state, settles open tasks, terminates provisioned hosts, publishes run.finished',
    timeout: Duration.minutes(2),
    access: ['journal', 'catalog', 'publishEvents', 'terminateHosts'],
  },
  reconcile: {
    handler: 'reconcile',
    description:
      'Every 5 minutes: polls lost command results, fails runs whose execution died, terminates orphaned hosts',
    timeout: Duration.minutes(5),
    access: [
      'journal',
      'catalog',
      'listRuns',
      'publishEvents',
      'readOutputs',
      'readCommands',
      'copyOutputs',
      'completeTasks',
      'describeExecutions',
      'terminateHosts',
    ],
    // With the stack's `runRetention`, also 'purgeRuns' (RETENTION_ACCESS): only then does it delete runs.
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionKey = keyof typeof FUNCTIONS;

/** What the reconciler gets on top of its access when the stack sets a retention. */
export const RETENTION_ACCESS = { function: 'reconcile', capability: 'purgeRuns' } as const satisfies {
  function: FunctionKey;
  capability: Capability;
};

/** DynamoDB item actions the repositories issue (lib/adapters/dynamodb/*-repo.ts). */
const JOURNAL_ACTIONS = [
  'dynamodb:GetItem',
  // Reading a step's commands and tasks at once (a step with a setup or teardown, a retried step).
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
];
const CATALOG_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** Actions without resource-level permissions. */
const UNSCOPED: Partial<Record<Capability, readonly string[]>> = {
  // A half-sent step cancels the batches it sent.
  sendCommands: ['ssm:CancelCommand'],
  readCommands: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
  // Cancelling finds each SSM command's instances first.
  cancelCommands: ['ssm:CancelCommand', 'ssm:ListCommands'],
  describeHosts: ['ec2:DescribeInstances', 'ssm:DescribeInstanceInformation'],
  // Finding the run's (or the orphaned) instances before terminating them.
  terminateHosts: ['ec2:DescribeInstances'],
};

export interface RunFunctionsProps {
  readonly journal: dynamodb.Table;
  readonly catalog: dynamodb.Table;
  readonly bus: events.EventBus;
  readonly outputBucket: s3.Bucket;
  readonly instanceProfileArn: string;
  /** The role of that instance profile: plan-run passes it to the hosts it launches (iam:PassRole). */
  readonly hostRoleArn: string;
  /** The run state machine's name; its ARN is derived from it (see the module comment). */
  readonly stateMachineName: string;
  readonly logRetention?: logs.RetentionDays;
  /**
   * Runs that ended longer ago than this are purged by the reconciler (catalog entry, journal items,
   * output objects). @default none: runs are kept until `fleetbench rm`
   */
  readonly runRetention?: Duration;
}

/**
 * @example
 * const functions = new RunFunctions(this, 'Functions', { journal, catalog, bus, outputBucket, instanceProfileArn, hostRoleArn, stateMachineName });
 * new RunWorkflow(this, 'Workflow', { planRun: functions.planRun, ... });
 */
export class RunFunctions extends Construct {
  readonly planRun: IFunction;
  readonly runCommand: IFunction;
  readonly onInvocationStatus: IFunction;
  readonly stopRun: IFunction;
  readonly finalizeRun: IFunction;
  readonly reconcile: IFunction;
  /** Every function by key, for the dashboard. */
  readonly all: Readonly<Record<FunctionKey, IFunction>>;
  readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: RunFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const environment = {
      [CONFIG_ENV.journalTable]: props.journal.tableName,
      [CONFIG_ENV.catalogTable]: props.catalog.tableName,
      [CONFIG_ENV.eventBusName]: props.bus.eventBusName,
      [CONFIG_ENV.outputBucket]: props.outputBucket.bucketName,
      [CONFIG_ENV.stateMachineArn]: this.stateMachineArn,
      [CONFIG_ENV.instanceProfileArn]: props.instanceProfileArn,
    };

    const build = (key: FunctionKey, constructId: string): IFunction => {
      const spec: FunctionSpec = FUNCTIONS[key];
      const retains = props.runRetention !== undefined && key === RETENTION_ACCESS.function;
      const fn = new FleetbenchFunction(this, constructId, {
        handler: spec.handler,
        description: spec.description,
        timeout: spec.timeout,
        environment: retains
          ? { ...environment, [OPTIONAL_CONFIG_ENV.runRetention]: String(props.runRetention?.toSeconds()) }
          : environment,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      });
      this.#grant(fn, retains ? [...spec.access, RETENTION_ACCESS.capability] : spec.access, props);
      return fn.function;
    };
    this.planRun = build('planRun', 'PlanRun');
    this.runCommand = build('runCommand', 'RunCommand');
    this.onInvocationStatus = build('onInvocationStatus', 'OnInvocationStatus');
    this.stopRun = build('stopRun', 'StopRun');
    this.finalizeRun = build('finalizeRun', 'FinalizeRun');
    this.reconcile = build('reconcile', 'Reconcile');
    this.all = {
      planRun: this.planRun,
      runCommand: this.runCommand,
      onInvocationStatus: this.onInvocationStatus,
      stopRun: this.stopRun,
      finalizeRun: this.finalizeRun,
      reconcile: this.reconcile,
    };
  }

  #grant(fn: FleetbenchFunction, access: readonly Capability[], props: RunFunctionsProps): void {
    const stack = Stack.of(this);
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${props.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const outputs = props.outputBucket.arnForObjects(`${OUTPUTS_PREFIX}*`);
    const instances = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const document = stack.formatArn({
      service: 'ssm',
      account: '',
      resource: 'document',
      resourceName: 'AWS-RunShellScript',
    });
    const ec2Resources = (type: string, options: { account?: string } = {}) =>
      stack.formatArn({ service: 'ec2', resource: type, resourceName: '*', ...options });
    // What RunInstances creates and tags: each must carry fleetbench:managed=true in the request.
    const launched = ['instance', 'volume', 'spot-instances-request'].map((type) => ec2Resources(type));
    // What RunInstances only uses: the AMI (Amazon's or the account's), the network.
    const used = [
      ec2Resources('image', { account: '' }),
      ec2Resources('subnet'),
      ec2Resources('security-group'),
      ec2Resources('network-interface'),
    ];
    const publicParameters = stack.formatArn({
      service: 'ssm',
      account: '',
      resource: 'parameter',
      resourceName: 'aws/service/*',
    });
    const wildcards: { arn: string; reason: string }[] = [];
    const allow = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      fn.role.addToPolicy(
        new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }),
      );

    for (const capability of access) {
      switch (capability) {
        case 'journal':
          allow(JOURNAL_ACTIONS, [props.journal.tableArn]);
          break;
        case 'catalog':
          allow(CATALOG_ACTIONS, [props.catalog.tableArn]);
          break;
        case 'listRuns':
          allow(
            ['dynamodb:Query'],
            [`${props.catalog.tableArn}/index/${CATALOG_KEYS.byCreatedAt.indexName}`],
          );
          break;
        case 'publishEvents':
          allow(['events:PutEvents'], [props.bus.eventBusArn]);
          break;
        case 'readOutputs':
          allow(['s3:GetObject'], [outputs]);
          // Without ListBucket a missing output is a 403, indistinguishable from a real denial.
          allow(['s3:ListBucket'], [props.outputBucket.bucketArn], {
            StringLike: { 's3:prefix': `${OUTPUTS_PREFIX}*` },
          });
          wildcards.push({
            arn: outputs,
            reason: 'Command outputs are read under runs/<runId>/…, whose ids are only known at run time.',
          });
          break;
        case 'sendCommands':
        case 'copyOutputs':
          allow(['ssm:SendCommand'], [document]);
          allow(['ssm:SendCommand'], [instances], {
            StringEquals: { [`ssm:resourceTag/${FLEETBENCH_TAG.key}`]: FLEETBENCH_TAG.value },
          });
          wildcards.push({
            arn: instances,
            reason: `Benchmarked instances are chosen per run; SendCommand is limited to instances tagged ${FLEETBENCH_TAG.key}=${FLEETBENCH_TAG.value} by an ssm:resourceTag condition.`,
          });
          break;
        case 'provisionHosts':
          allow(['ec2:RunInstances'], launched, {
            StringEquals: { [`aws:RequestTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value },
          });
          allow(['ec2:RunInstances'], used);
          allow(['ec2:CreateTags'], launched, { StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
          allow(['iam:PassRole'], [props.hostRoleArn], {
            StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          });
          allow(['ssm:GetParameter'], [publicParameters]);
          for (const arn of launched) {
            wildcards.push({
              arn,
              reason: `Ephemeral hosts get new ids at launch; RunInstances and CreateTags on them require the request tag ${MANAGED_TAG.key}=${MANAGED_TAG.value} and CreateAction=RunInstances.`,
            });
          }
          for (const arn of used) {
            wildcards.push({
              arn,
              reason:
                'The AMI, subnet and security groups come from each plan (any the account may use); RunInstances only reads them.',
            });
          }
          wildcards.push({
            arn: publicParameters,
            reason:
              'AMI ids of a plan are read from the public /aws/service/ parameters (e.g. the latest Amazon Linux 2023).',
          });
          break;
        case 'terminateHosts':
          allow(['ec2:TerminateInstances'], [instances], {
            StringEquals: { [`ec2:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value },
          });
          wildcards.push({
            arn: instances,
            reason: `Only instances fleetbench launched are terminated: limited by the ec2:ResourceTag/${MANAGED_TAG.key}=${MANAGED_TAG.value} condition.`,
          });
          break;
        case 'completeTasks':
        case 'failTasks':
          allow(
            capability === 'completeTasks'
              ? ['states:SendTaskSuccess', 'states:SendTaskFailure']
              : ['states:SendTaskFailure'],
            [this.stateMachineArn, `${this.stateMachineArn}/*`],
          );
          wildcards.push({
            arn: `${this.stateMachineArn}/*`,
            reason:
              "A free run's steps wait in Distributed Map child executions, whose state machine is <name>/<map run label>, a label Step Functions generates; the wildcard covers only this state machine's children.",
          });
          break;
        case 'stopExecutions':
          allow(['states:StopExecution'], [executions]);
          wildcards.push({
            arn: executions,
            reason:
              'Execution names are generated per run; the wildcard covers only this state machine’s executions.',
          });
          break;
        case 'describeExecutions':
          allow(['states:DescribeExecution'], [executions]);
          wildcards.push({
            arn: executions,
            reason:
              'Execution names are generated per run; the wildcard covers only this state machine’s executions.',
          });
          break;
        case 'purgeRuns':
          // The retention's purge: the items of runs that ended, their output objects (rm --purge's path).
          allow(['dynamodb:DeleteItem'], [props.journal.tableArn, props.catalog.tableArn]);
          allow(['s3:ListBucket'], [props.outputBucket.bucketArn], {
            StringLike: { 's3:prefix': `${OUTPUTS_PREFIX}*` },
          });
          allow(['s3:DeleteObject'], [outputs]);
          wildcards.push({
            arn: outputs,
            reason:
              'A purged run’s outputs are deleted under runs/<runId>/, whose ids are only known at run time.',
          });
          break;
        case 'readCommands':
        case 'cancelCommands':
        case 'describeHosts':
          break;
      }
    }

    const unscoped = [...new Set(access.flatMap((c) => UNSCOPED[c] ?? []))].sort();
    if (unscoped.length > 0) {
      const policy = new iam.Policy(fn, 'UnscopedActions', {
        statements: [new iam.PolicyStatement({ actions: unscoped, resources: ['*'] })],
      });
      fn.role.attachInlinePolicy(policy);
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: `${unscoped.join(', ')} support no resource-level permissions (Service Authorization Reference); this policy holds only them.`,
      });
    }
    const byArn = new Map(wildcards.map((w) => [w.arn, w.reason]));
    for (const [arn, reason] of byArn) acknowledgeWildcards(fn.role, [arn], reason);
  }
}
