import type { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dashboard } from '../../lib/infra/dashboard.js';
import { FUNCTIONS } from '../../lib/infra/run-functions.js';
import { minimalTemplate } from '../support/cdk/minimal-stack.js';
import type { Resource } from '../support/cdk/template-reading.js';

let template: Template;

beforeAll(() => {
  template = minimalTemplate(
    (stack) =>
      new Dashboard(stack, 'Dashboard', {
        stateMachine: sfn.StateMachine.fromStateMachineName(stack, 'Run', 'Fleetbench-run'),
        functions: Object.fromEntries(
          Object.entries(FUNCTIONS).map(([key, spec]) => [
            key,
            lambda.Function.fromFunctionName(stack, key, `Fleetbench-${spec.handler}`),
          ]),
        ),
        dashboardName: 'Fleetbench',
      }),
  );
});

describe('Dashboard', () => {
  it('shows executions, function errors and durations, and the Fleetbench task metrics', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const text of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'Errors',
      'Duration',
      'TasksCompleted',
      'TasksFailed',
      'TaskDuration',
      '{Fleetbench,service,workload}',
      '{Fleetbench,service,workload,metric}',
      'WorkloadMetric',
    ]) {
      expect(body).toContain(text);
    }
    expect(body.match(/\\"type\\":\\"metric\\"/g)?.length).toBe(6);
  });
});
