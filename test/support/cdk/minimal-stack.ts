/**
 * How the infra tests build CDK apps, and minimal stacks for the construct tests
 * (test/infra/<construct>.test.ts), as cdk-nag tests its rules: a real stack holding the construct under
 * test and only what it needs. Two slow steps are left to other tests: bundling (the
 * `aws:cdk:bundling-stacks` context, so a NodejsFunction never runs esbuild; `cdk synth` and the bundle
 * test cover it) and CDK's built-in CloudFormation validation (seconds of CPU on each process's first
 * synth, and it only ever warns, on the console: without the `@aws-cdk/core:validateAgainstDefaultRules`
 * flag its findings fail nothing; cfn-lint checks the template against the same schemas and fails on
 * them). Validation plugins added to the app (cdk-nag) still run.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/** The account and region every infra test synthesizes for (the IAM rehearsal's as well). */
export const TEST_ENV = { account: '123456789012', region: 'us-east-1' } as const;

/**
 * An empty stack, named as the deployed one is by default (names derived from the stack's name match).
 * @example
 * const stack = minimalStack();
 * new RunTables(stack, 'Tables');
 * Template.fromStack(stack).resourceCountIs('AWS::DynamoDB::Table', 2);
 */
export function minimalStack(id = 'Fleetbench'): Stack {
  return new Stack(testApp(), id, { env: TEST_ENV });
}

/** An app that skips bundling and the built-in CloudFormation validation (see above). */
export function testApp(): App {
  return new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
}

/**
 * The template of a minimal stack holding what `build` adds to it.
 * @example
 * const template = minimalTemplate((stack) => new RunTables(stack, 'Tables'));
 */
export function minimalTemplate(build: (stack: Stack) => void): Template {
  const stack = minimalStack();
  build(stack);
  return Template.fromStack(stack);
}

/** A function with inline code, for a construct that only needs something to route to or invoke. */
export function stubFunction(scope: Construct, id: string): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
}
