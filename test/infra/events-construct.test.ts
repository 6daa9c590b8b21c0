import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventsConstruct } from '../../lib/infra/events-construct.js';
import { minimalStack, stubFunction } from '../support/cdk/minimal-stack.js';
import { flatten, type Resource } from '../support/cdk/template-reading.js';

let template: Template;
/** `{Fn::GetAtt: [<function>, 'Arn']}` of each function a rule targets. */
let arnOf: Record<'stopRun' | 'onInvocationStatus' | 'reconcile', unknown>;

beforeAll(() => {
  const stack = minimalStack();
  const routing = new EventsConstruct(stack, 'Events');
  const stopRun = stubFunction(stack, 'StopRun');
  const onInvocationStatus = stubFunction(stack, 'OnInvocationStatus');
  const reconcile = stubFunction(stack, 'Reconcile');
  routing.routeStopRequests(stopRun);
  routing.routeCommandStatus(onInvocationStatus);
  routing.scheduleReconciler(reconcile);
  routing.logRunEvents();
  arnOf = {
    stopRun: stack.resolve(stopRun.functionArn),
    onInvocationStatus: stack.resolve(onInvocationStatus.functionArn),
    reconcile: stack.resolve(reconcile.functionArn),
  };
  template = Template.fromStack(stack);
});

describe('EventsConstruct', () => {
  it('creates the fleetbench bus', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'fleetbench' });
  });

  it('routes Stop Requested on the fleetbench bus to stop-run', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: Match.stringLikeRegexp('^EventsBus') },
      EventPattern: { source: ['dev.fleetbench.cli'], 'detail-type': ['Stop Requested'] },
      Targets: [Match.objectLike({ Arn: arnOf.stopRun })],
    });
  });

  it.each([
    ['EC2 Command Invocation Status-change Notification', ['Pending', 'InProgress', 'Delayed', 'Cancelling']],
    ['EC2 Command Status-change Notification', ['Pending', 'InProgress', 'Cancelling']],
  ])('routes the ends of SSM "%s" (default bus) to on-invocation-status', (detailType, notEnded) => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.absent(),
      EventPattern: {
        source: ['aws.ssm'],
        'detail-type': [detailType],
        detail: { 'document-name': ['AWS-RunShellScript'], status: [{ 'anything-but': notEnded }] },
      },
      Targets: [Match.objectLike({ Arn: arnOf.onInvocationStatus })],
    });
  });

  it('copies every run CloudEvent into a log group kept 90 days, with the resource policy EventBridge needs', () => {
    const [groupId, group] = Object.entries(
      template.findResources('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/aws/events/Fleetbench/run-events' },
      }),
    )[0] as [string, Resource];
    expect(group.Properties.RetentionInDays).toBe(90);
    const [ruleId] = Object.entries(
      template.findResources('AWS::Events::Rule', {
        Properties: {
          EventBusName: { Ref: Match.stringLikeRegexp('^EventsBus') },
          EventPattern: { source: ['dev.fleetbench'] },
        },
      }),
    )[0] ?? [''];
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['dev.fleetbench'] },
      Targets: [
        Match.objectLike({
          Arn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':logs:us-east-1:123456789012:log-group:',
                { Ref: groupId },
              ],
            ],
          },
        }),
      ],
    });
    const [policy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy')) as Resource[];
    const document = JSON.parse(flatten(policy?.Properties.PolicyDocument)) as { Statement: unknown[] };
    // Only this rule may put events, only to this group; streams are created by EventBridge of this
    // account (CreateLogStream carries no source ARN: the IAM rehearsal evaluates both).
    expect(document.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'logs:CreateLogStream',
        Resource: `<${groupId}.Arn>`,
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'logs:PutLogEvents',
        Resource: `<${groupId}.Arn>`,
        Condition: { ArnEquals: { 'aws:SourceArn': `<${ruleId}.Arn>` } },
      },
    ]);
  });

  it('runs the reconciler every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: arnOf.reconcile })],
    });
  });
});
