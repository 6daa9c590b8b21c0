/**
 * What only the whole stack shows: cdk-nag finds nothing unacknowledged, the synth has no error or
 * warning, the CLI's outputs exist, and each construct is handed the stack's own resources (the rules
 * route to its functions, the workflow invokes them, the functions are configured with its tables, bus,
 * bucket, host role and state machine). What each construct builds is tested on a minimal stack in the
 * test file named after it.
 */
import { type App, Duration, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, OPTIONAL_CONFIG_ENV } from '../../lib/adapters/aws/config.js';
import { STACK_OUTPUT_KEYS } from '../../lib/adapters/aws/stack-outputs.js';
import { FleetbenchStack } from '../../lib/infra/fleetbench-stack.js';
import { DEFINITION_SUBSTITUTIONS } from '../../lib/infra/run-workflow.js';
import { TEST_ENV, testApp } from '../support/cdk/minimal-stack.js';
import { actions, functionStatements, logicalIdOf, type Resource } from '../support/cdk/template-reading.js';

/**
 * One stack for the whole file (synth is the slow part); bundling and the built-in CloudFormation
 * validation are skipped (test/support/cdk/minimal-stack.ts says why), cdk-nag is not.
 */
let app: App;
let stack: FleetbenchStack;
let template: Template;

beforeAll(() => {
  app = testApp();
  // With a retention: everything the stack can grant is checked by cdk-nag (the default grants a subset).
  stack = new FleetbenchStack(app, 'Fleetbench', { env: TEST_ENV, runRetention: Duration.days(30) });
  // As bin/app.ts does: a finding fails the synth below.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  template = Template.fromStack(stack);
});

describe('FleetbenchStack', () => {
  describe('cdk-nag (AwsSolutions)', () => {
    it('has zero unacknowledged findings', () => {
      const report = new AwsSolutionsChecks().validateScope(app);
      const findings = report.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      );

      expect(findings).toEqual([]);
    });

    it('has no synth errors or warnings', () => {
      // fromStack synthesizes the app again: once for both.
      const annotations = Annotations.fromStack(stack);

      expect(annotations.findError('*', Match.anyValue())).toEqual([]);
      expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
    });
  });

  it('hands its runRetention to the reconciler and to the outputs’ lifecycle', () => {
    const reconcile = template.toJSON().Resources[
      logicalIdOf(stack, stack.functions.reconcile.functionArn)
    ] as Resource;

    expect(
      (reconcile.Properties.Environment as { Variables: Record<string, unknown> }).Variables[
        OPTIONAL_CONFIG_ENV.runRetention
      ],
    ).toBe('2592000');
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 30 })] },
    });
  });

  it('exports what the CLI reads', () => {
    for (const key of Object.values(STACK_OUTPUT_KEYS)) template.hasOutput(key, { Value: Match.anyValue() });
  });

  it('exports the name of the log group the run CloudEvents are copied into', () => {
    const [groupId] = Object.keys(
      template.findResources('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/aws/events/Fleetbench/run-events' },
      }),
    );

    template.hasOutput(STACK_OUTPUT_KEYS.eventLogGroupName, { Value: { Ref: groupId } });
  });

  describe('wiring', () => {
    const arnOf = (key: keyof FleetbenchStack['functions']['all']) =>
      stack.resolve(stack.functions.all[key].functionArn);

    it.each([
      ['Stop Requested', 'stopRun'],
      ['EC2 Command Invocation Status-change Notification', 'onInvocationStatus'],
      ['EC2 Command Status-change Notification', 'onInvocationStatus'],
    ] as const)('routes "%s" to its %s function', (detailType, key) => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ 'detail-type': [detailType] }),
        Targets: [Match.objectLike({ Arn: arnOf(key) })],
      });
    });

    it('runs its reconcile function on the schedule', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: Match.anyValue(),
        Targets: [Match.objectLike({ Arn: arnOf('reconcile') })],
      });
    });

    it('names the state machine as its functions know it, and has it invoke its plan-run, run-command and finalize-run', () => {
      // The deployed state machine really has the name the functions' ARNs are derived from.
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'Fleetbench-run',
        DefinitionSubstitutions: Object.fromEntries(
          Object.entries(DEFINITION_SUBSTITUTIONS).map(([key, placeholder]) => [
            placeholder,
            arnOf(key as keyof typeof DEFINITION_SUBSTITUTIONS),
          ]),
        ),
      });
      for (const id of Object.keys(template.findResources('AWS::Lambda::Function'))) {
        const fn = template.toJSON().Resources[id] as Resource;
        const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
        expect(JSON.stringify(variables[CONFIG_ENV.stateMachineArn])).toContain(
          ':stateMachine:Fleetbench-run"',
        );
      }
    });

    it('configures its functions with its own tables, bus, output bucket, instance profile and host role', () => {
      const expected = {
        [CONFIG_ENV.journalTable]: stack.resolve(stack.tables.journal.tableName),
        [CONFIG_ENV.catalogTable]: stack.resolve(stack.tables.catalog.tableName),
        [CONFIG_ENV.eventBusName]: stack.resolve(stack.routing.bus.eventBusName),
        [CONFIG_ENV.outputBucket]: stack.resolve(stack.outputs.bucket.bucketName),
        [CONFIG_ENV.instanceProfileArn]: stack.resolve(stack.hostAccess.instanceProfile.instanceProfileArn),
      };
      const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
      expect(functions).toHaveLength(6);
      for (const fn of functions)
        expect((fn.Properties.Environment as { Variables: unknown }).Variables).toMatchObject(expected);
      const planRun = logicalIdOf(stack, stack.functions.planRun.functionArn);
      const passRole = functionStatements(template, planRun).filter((s) =>
        actions(s).includes('iam:PassRole'),
      );
      expect(passRole.map((s) => s.Resource)).toEqual([stack.resolve(stack.hostAccess.role.roleArn)]);
    });
  });
});
