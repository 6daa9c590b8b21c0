/**
 * The fleetbench stack: everything `cdk deploy` creates for the aws target, composed of small constructs
 * that each own their resources —
 * RunTables (journal, catalog) · OutputBucket (command outputs) · HostAccess (instance profile for hosts) ·
 * EventsConstruct (fleetbench bus, stop and SSM status rules, reconciler schedule, run-event log) ·
 * RunFunctions (the six Lambdas and their least-privilege policies) · RunWorkflow (run.asl.json as a state
 * machine) · Dashboard —
 * and the outputs the CLI reads (lib/adapters/aws/stack-outputs.ts).
 */
import { CfnOutput, type Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { STACK_OUTPUT_KEYS } from '../adapters/aws/stack-outputs.js';
import { Dashboard } from './dashboard.js';
import { EventsConstruct } from './events-construct.js';
import { HostAccess } from './host-access.js';
import { OutputBucket } from './output-bucket.js';
import { RunFunctions } from './run-functions.js';
import { RunTables } from './run-tables.js';
import { RunWorkflow } from './run-workflow.js';

export interface FleetbenchStackProps extends StackProps {
  /** @default 'fleetbench' */
  readonly eventBusName?: string;
  /**
   * How long runs are kept after they ended: past it, the reconciler purges them as `fleetbench rm --purge`
   * does (catalog entry, journal items, output objects; a run going on is never touched), and the outputs'
   * S3 lifecycle expires objects after this long unless `outputRetention` says otherwise.
   * @default none: runs are kept until `fleetbench rm`
   */
  readonly runRetention?: Duration;
  /** How long command outputs stay in S3. @default runRetention, else Duration.days(90) */
  readonly outputRetention?: Duration;
  /** Retention of the functions' log groups. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Retention of the run-event log (`fleetbench events --target aws`). @default RetentionDays.THREE_MONTHS */
  readonly eventLogRetention?: logs.RetentionDays;
}

/**
 * @example
 * const app = new App();
 * new FleetbenchStack(app, 'Fleetbench', { env: { region: 'eu-west-1' } });
 */
export class FleetbenchStack extends Stack {
  readonly tables: RunTables;
  readonly outputs: OutputBucket;
  readonly hostAccess: HostAccess;
  readonly routing: EventsConstruct;
  readonly functions: RunFunctions;
  readonly workflow: RunWorkflow;
  readonly dashboard: Dashboard;
  readonly eventLog: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FleetbenchStackProps = {}) {
    super(scope, id, props);
    const stateMachineName = `${this.stackName}-run`;

    this.tables = new RunTables(this, 'Tables');
    const outputRetention = props.outputRetention ?? props.runRetention;
    this.outputs = new OutputBucket(this, 'Outputs', {
      ...(outputRetention ? { outputRetention } : {}),
    });
    this.hostAccess = new HostAccess(this, 'HostAccess', { outputBucket: this.outputs.bucket });
    this.routing = new EventsConstruct(this, 'Events', {
      ...(props.eventBusName ? { eventBusName: props.eventBusName } : {}),
    });
    this.functions = new RunFunctions(this, 'Functions', {
      journal: this.tables.journal,
      catalog: this.tables.catalog,
      bus: this.routing.bus,
      outputBucket: this.outputs.bucket,
      instanceProfileArn: this.hostAccess.instanceProfile.instanceProfileArn,
      hostRoleArn: this.hostAccess.role.roleArn,
      stateMachineName,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.runRetention ? { runRetention: props.runRetention } : {}),
    });
    this.routing.routeStopRequests(this.functions.stopRun);
    this.routing.routeCommandStatus(this.functions.onInvocationStatus);
    this.routing.scheduleReconciler(this.functions.reconcile);
    this.eventLog = this.routing.logRunEvents(props.eventLogRetention);
    this.workflow = new RunWorkflow(this, 'Workflow', {
      stateMachineName,
      planRun: this.functions.planRun,
      runCommand: this.functions.runCommand,
      finalizeRun: this.functions.finalizeRun,
    });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      stateMachine: this.workflow.stateMachine,
      functions: this.functions.all,
      dashboardName: this.stackName,
    });

    const output = (key: keyof typeof STACK_OUTPUT_KEYS, value: string, description: string) =>
      new CfnOutput(this, STACK_OUTPUT_KEYS[key], { value, description });
    output(
      'stateMachineArn',
      this.workflow.stateMachine.stateMachineArn,
      'Start runs here (console, CLI, StartExecution)',
    );
    output(
      'journalTableName',
      this.tables.journal.tableName,
      'Journal: tasks, commands, audit trail per run',
    );
    output('catalogTableName', this.tables.catalog.tableName, 'Catalog: one item per run');
    output('eventBusName', this.routing.bus.eventBusName, 'Run CloudEvents and Stop Requested events');
    output(
      'outputBucketName',
      this.outputs.bucket.bucketName,
      'Full command outputs (runs/<runId>/outputs/)',
    );
    output(
      'instanceProfileArn',
      this.hostAccess.instanceProfile.instanceProfileArn,
      'Attach to benchmark hosts',
    );
    output(
      'eventLogGroupName',
      this.eventLog.logGroupName,
      'Every run CloudEvent (read by `fleetbench events --target aws`)',
    );
  }
}
