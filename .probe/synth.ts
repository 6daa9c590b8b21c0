import { App } from 'aws-cdk-lib';
import { FleetbenchStack } from '../lib/infra/fleetbench-stack.js';
for (const region of ['us-east-1', 'eu-west-1']) {
  const app = new App({ outdir: `/tmp/cfnprobe/${region}`, context: { 'aws:cdk:bundling-stacks': [] } });
  new FleetbenchStack(app, 'Fleetbench', { env: { account: '123456789012', region } });
  app.synth();
}
