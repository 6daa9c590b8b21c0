/**
 * The run workflow: `statemachines/run.asl.json`, the same file the local engine executes, deployed as a
 * Standard state machine with the three function ARNs substituted in.
 *
 * Phases (the state names are what the console shows):
 * 1. **Plan run** (plan-run, plain invoke) — validate or reload the plan, resolve and check the hosts,
 *    write catalog + journal. Any error → **Run could not start** (nothing ran, nothing to tear down).
 * 2. **Run global setup** → **Run workloads** (Map, one workload at a time: **Set up workload** →
 *    **Run repetitions** (Map, one at a time: **Run repetition**) → **Tear down workload**) →
 *    **Run global teardown**. Each step is run-command with `.waitForTaskToken`: the function sends the
 *    SSM command and returns; on-invocation-status (or stop-run) completes the token.
 *    With `strategy: free`, **Lockstep or free?** sends the run to **Run hosts** instead: a Distributed Map
 *    whose every iteration is a child execution of this state machine (STANDARD, its own history) running
 *    one host's workloads (**Run host's workloads** → **Set up workload on host** → **Run repetition on
 *    host** … → **Tear down workload on host**); the role may therefore start executions of this state
 *    machine and describe and stop their child executions.
 * 3. **Finalize run** (finalize-run) — decides FINISHED / FAILED / ABORTED / STOP_FAILED from the journal.
 *
 * Error routing: every stage that can fail or be stopped is caught into `$.error` and goes on to the
 * teardowns, so teardown always runs; `Fleetbench.StopRequested` and `Fleetbench.FailFast` end the
 * workloads loop after the current workload's teardown; a teardown's own failure goes to `$.teardownError`
 * and never stops Finalize. Lambda service errors are retried with jittered backoff before any Catch.
 */
import { readFileSync } from 'node:fs';
import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from './fleetbench-function.js';
import { acknowledgeWildcards } from './nag.js';

/** The workflow definition shared by both targets. */
export const RUN_DEFINITION_PATH = `${PROJECT_ROOT}statemachines/run.asl.json`;

/** DefinitionSubstitutions placeholders in run.asl.json. */
export const DEFINITION_SUBSTITUTIONS = {
  planRun: 'PlanRunFunctionArn',
  runCommand: 'RunCommandFunctionArn',
  finalizeRun: 'FinalizeRunFunctionArn',
} as const;

export interface RunWorkflowProps {
  readonly stateMachineName: string;
  readonly planRun: IFunction;
  readonly runCommand: IFunction;
  readonly finalizeRun: IFunction;
  /** @default RUN_DEFINITION_PATH */
  readonly definitionPath?: string;
  /** @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * @example
 * const workflow = new RunWorkflow(this, 'Workflow', { stateMachineName: 'Fleetbench-run', planRun, runCommand, finalizeRun });
 */
export class RunWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RunWorkflowProps) {
    super(scope, id);
    // The vendedlogs prefix keeps the account's CloudWatch Logs resource policy small.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const functions = [props.planRun, props.runCommand, props.finalizeRun];
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(
        readFileSync(props.definitionPath ?? RUN_DEFINITION_PATH, 'utf8'),
      ),
      definitionSubstitutions: {
        [DEFINITION_SUBSTITUTIONS.planRun]: props.planRun.functionArn,
        [DEFINITION_SUBSTITUTIONS.runCommand]: props.runCommand.functionArn,
        [DEFINITION_SUBSTITUTIONS.finalizeRun]: props.finalizeRun.functionArn,
      },
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The definition is a string, so CDK cannot infer what it invokes: exactly these three, unqualified.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: functions.map((f) => f.functionArn),
      }),
    );
    // free's Distributed Map starts child executions of this very state machine and watches them (AWS's
    // "IAM policies for using Distributed Map states"). ARNs come from the name: referencing the state machine's
    // own ARN in its role's policy would be a circular dependency.
    const stack = Stack.of(this);
    const self = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const children = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${props.stateMachineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [self] }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [children],
      }),
    );
    acknowledgeWildcards(
      this.stateMachine.role,
      [children],
      "A Distributed Map's child executions are named by Step Functions at run time (<state machine>/<map run>:<id>); the wildcard covers only this state machine's children.",
    );
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only what CDK adds for logging and tracing: the CloudWatch Logs delivery actions (logs:CreateLogDelivery, …) and xray:PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions.',
    });
  }
}
