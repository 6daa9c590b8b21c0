/**
 * Everything fleetbench routes through EventBridge:
 * - the `fleetbench` bus, where runs publish their CloudEvents (source `dev.fleetbench`) and where stop
 *   requests arrive (source `dev.fleetbench.cli`, detail-type `Stop Requested`) → stop-run;
 * - on the default bus, SSM's Run Command status events for `AWS-RunShellScript` → on-invocation-status.
 *   Only ends are routed (not Pending/InProgress/Delayed/Cancelling): an intermediate status costs an
 *   invocation and changes nothing. Per-command events are the safety net for lost per-instance ones;
 * - the reconciler's schedule, for what best-effort delivery still loses;
 * - a copy of every run CloudEvent in a CloudWatch Logs group, which `fleetbench events --target aws`
 *   reads back (a bus keeps nothing: without a target, an event is gone once delivered).
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../adapters/aws/eventbridge-publisher.js';
import { COMMAND_STATUS_EVENT, INVOCATION_STATUS_EVENT } from '../adapters/aws/ssm-status-event.js';
import { STOP_REQUEST_EVENT } from '../adapters/aws/stop-request.js';

export interface EventsConstructProps {
  /** @default 'fleetbench' */
  readonly eventBusName?: string;
}

/** How a rule hands events to a function: async invoke, retried, dropped when stale. */
function target(fn: IFunction): targets.LambdaFunction {
  return new targets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
}

/**
 * @example
 * const routing = new EventsConstruct(this, 'Events');
 * routing.routeStopRequests(functions.stopRun);
 * routing.routeCommandStatus(functions.onInvocationStatus);
 * routing.scheduleReconciler(functions.reconcile, Duration.minutes(5));
 * const eventLog = routing.logRunEvents();
 */
export class EventsConstruct extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: EventsConstructProps = {}) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName ?? 'fleetbench',
      description: 'fleetbench run events (CloudEvents, source dev.fleetbench) and stop requests',
    });
  }

  routeStopRequests(fn: IFunction): events.Rule {
    return new events.Rule(this, 'StopRequested', {
      eventBus: this.bus,
      description: 'fleetbench stop requests → stop-run',
      eventPattern: { source: [STOP_REQUEST_EVENT.source], detailType: [STOP_REQUEST_EVENT.detailType] },
      targets: [target(fn)],
    });
  }

  routeCommandStatus(fn: IFunction): events.Rule[] {
    const rule = (id: string, detailType: string, notEnded: string[]) =>
      new events.Rule(this, id, {
        description: `SSM ${detailType} (AWS-RunShellScript, ends only) → on-invocation-status`,
        eventPattern: {
          source: ['aws.ssm'],
          detailType: [detailType],
          detail: { 'document-name': ['AWS-RunShellScript'], status: events.Match.anythingBut(...notEnded) },
        },
        targets: [target(fn)],
      });
    return [
      rule('InvocationStatus', INVOCATION_STATUS_EVENT, ['Pending', 'InProgress', 'Delayed', 'Cancelling']),
      rule('CommandStatus', COMMAND_STATUS_EVENT, ['Pending', 'InProgress', 'Cancelling']),
    ];
  }

  scheduleReconciler(fn: IFunction, every: Duration = Duration.minutes(5)): events.Rule {
    return new events.Rule(this, 'Reconcile', {
      description: 'fleetbench reconciler schedule',
      schedule: events.Schedule.rate(every),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });
  }

  /**
   * Copies every run CloudEvent (source `dev.fleetbench`) into a log group, the whole EventBridge event as
   * one log line. EventBridge writes only to groups named `/aws/events/…`, and only with a resource policy
   * on the group; that policy is written here as a plain AWS::Logs::ResourcePolicy — CDK's
   * CloudWatchLogGroup target would add a custom-resource Lambda to the stack just to put it.
   */
  logRunEvents(retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS): logs.LogGroup {
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'RunEventLog', {
      logGroupName: `/aws/events/${stack.stackName}/run-events`,
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const rule = new events.Rule(this, 'RunEventsToLogs', {
      eventBus: this.bus,
      description: 'fleetbench run CloudEvents → CloudWatch Logs (read by `fleetbench events --target aws`)',
      eventPattern: { source: [EVENT_SOURCE] },
    });
    // The target is the group's ARN without the `:*` suffix logGroupArn carries.
    const arn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: logGroup.logGroupName,
    });
    rule.addTarget({ bind: () => ({ arn, targetResource: logGroup }) });
    // EventBridge creates the stream without saying which rule asks (no aws:SourceArn in that request: a
    // SourceArn condition on CreateLogStream never matches and nothing is ever logged), so CreateLogStream
    // is limited to this account; each event it then puts carries the rule's ARN.
    const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
    logGroup.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [eventBridge],
        actions: ['logs:CreateLogStream'],
        resources: [logGroup.logGroupArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    logGroup.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [eventBridge],
        actions: ['logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    return logGroup;
  }
}
