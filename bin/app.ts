/**
 * The CDK app: `npx cdk deploy` (cdk.json runs this file with tsx). cdk-nag's AwsSolutions checks run on
 * every synth as a validation plugin — a finding fails the synth — unless `-c nag=off`.
 * `-c stackName=…` deploys a second, independent copy (its own tables, bus and state machine names);
 * `-c runRetention=30d` purges runs 30 days after they ended (FleetbenchStackProps.runRetention).
 */
import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../lib/adapters/aws/stack-outputs.js';
import { parseDuration } from '../lib/core/duration.js';
import { FleetbenchStack } from '../lib/infra/fleetbench-stack.js';

const app = new App();
const stackName = String(app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME);
const eventBusName = app.node.tryGetContext('eventBusName') as string | undefined;
const runRetention = app.node.tryGetContext('runRetention') as string | undefined;

new FleetbenchStack(app, stackName, {
  description:
    'fleetbench: benchmark campaigns on EC2 fleets (Step Functions, SSM Run Command, DynamoDB, EventBridge)',
  ...(eventBusName ? { eventBusName } : {}),
  ...(runRetention ? { runRetention: Duration.seconds(parseDuration(runRetention, '-c runRetention')) } : {}),
  env: defined({
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION ?? process.env.AWS_REGION,
  }),
});

if (String(app.node.tryGetContext('nag') ?? 'on') !== 'off') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

app.synth();

/** The environment without unset values (exactOptionalPropertyTypes): env-agnostic when nothing is set. */
function defined(env: { account: string | undefined; region: string | undefined }): {
  account?: string;
  region?: string;
} {
  return {
    ...(env.account ? { account: env.account } : {}),
    ...(env.region ? { region: env.region } : {}),
  };
}
