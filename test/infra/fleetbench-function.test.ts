import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FleetbenchFunction } from '../../lib/infra/fleetbench-function.js';
import { minimalStack } from '../support/cdk/minimal-stack.js';
import { functionStatements, logicalIdOf, type Resource } from '../support/cdk/template-reading.js';

let template: Template;
let functionId: string;
let logGroupId: string;

beforeAll(() => {
  const stack = minimalStack();
  const fn = new FleetbenchFunction(stack, 'PlanRun', {
    handler: 'plan-run',
    description: 'Plan run',
    environment: { EXTRA: 'yes' },
  });
  functionId = logicalIdOf(stack, fn.function.functionArn);
  logGroupId = logicalIdOf(stack, fn.logGroup.logGroupArn);
  template = Template.fromStack(stack);
});

describe('FleetbenchFunction', () => {
  it('runs on Node.js 22, arm64, traced, with 512 MB, a minute, source maps and the Powertools settings', () => {
    const fn = template.toJSON().Resources[functionId] as Resource;

    expect(fn.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      Timeout: 60,
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'fleetbench',
          POWERTOOLS_METRICS_NAMESPACE: 'Fleetbench',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          EXTRA: 'yes',
        },
      },
    });
  });

  it('logs to its own log group, kept a month', () => {
    const fn = template.toJSON().Resources[functionId] as Resource;

    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gives its role only the writes to that log group and the X-Ray trace actions', () => {
    const statements = functionStatements(template, functionId);

    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      }),
      expect.objectContaining({
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        Resource: '*',
      }),
    ]);
  });
});
