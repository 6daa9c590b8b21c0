import { readFileSync } from 'node:fs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFINITION_SUBSTITUTIONS, RUN_DEFINITION_PATH, RunWorkflow } from '../../lib/infra/run-workflow.js';
import { minimalStack, stubFunction } from '../support/cdk/minimal-stack.js';
import {
  actions,
  flatten,
  logicalIdOf,
  type Resource,
  roleStatements,
} from '../support/cdk/template-reading.js';

let template: Template;
/** The logical ids of the three functions the workflow invokes. */
let functionIds: Record<keyof typeof DEFINITION_SUBSTITUTIONS, string>;

beforeAll(() => {
  const stack = minimalStack();
  const [planRun, runCommand, finalizeRun] = ['PlanRun', 'RunCommand', 'FinalizeRun'].map((id) =>
    stubFunction(stack, id),
  ) as [ReturnType<typeof stubFunction>, ReturnType<typeof stubFunction>, ReturnType<typeof stubFunction>];
  new RunWorkflow(stack, 'Workflow', {
    stateMachineName: 'Fleetbench-run',
    planRun,
    runCommand,
    finalizeRun,
  });
  functionIds = {
    planRun: logicalIdOf(stack, planRun.functionArn),
    runCommand: logicalIdOf(stack, runCommand.functionArn),
    finalizeRun: logicalIdOf(stack, finalizeRun.functionArn),
  };
  template = Template.fromStack(stack);
});

describe('RunWorkflow', () => {
  it('deploys run.asl.json as a Standard workflow with the three function ARNs substituted', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
    const props = machine?.Properties ?? {};
    expect(props.StateMachineType).toBe('STANDARD');

    const deployed = flatten(
      props.DefinitionString,
      props.DefinitionSubstitutions as Record<string, unknown>,
    );
    let expected = readFileSync(RUN_DEFINITION_PATH, 'utf8');
    for (const [key, placeholder] of Object.entries(DEFINITION_SUBSTITUTIONS) as [
      keyof typeof DEFINITION_SUBSTITUTIONS,
      string,
    ][]) {
      expected = expected.replaceAll(`\${${placeholder}}`, `<${functionIds[key]}.Arn>`);
    }
    expect(JSON.parse(deployed)).toEqual(JSON.parse(expected));
    expect(deployed).not.toMatch(/\$\{/);
  });

  it('logs ALL with execution data and traces', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
      TracingConfiguration: { Enabled: true },
    });
  });

  it("may start its own executions and describe and stop their children, as free's Distributed Map needs", () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
    const statements = roleStatements(template, machine?.Properties.RoleArn);
    const arn = (resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:states:us-east-1:123456789012:${resource}`]],
    });

    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'states:StartExecution', Resource: arn('stateMachine:Fleetbench-run') },
        {
          Effect: 'Allow',
          Action: ['states:DescribeExecution', 'states:StopExecution'],
          Resource: arn('execution:Fleetbench-run/*'),
        },
      ]),
    );
    // Nothing broader: no other state machine, no other execution.
    const states = statements.filter((s) => actions(s).some((a) => a.startsWith('states:')));
    expect(states).toHaveLength(2);
  });

  it('runs each host of a free run as a STANDARD child execution of a Distributed Map', () => {
    const definition = JSON.parse(readFileSync(RUN_DEFINITION_PATH, 'utf8')) as {
      States: Record<string, Record<string, unknown>>;
    };
    const choice = definition.States['Lockstep or free?'];
    const map = definition.States['Run hosts'];

    expect(definition.States['Run global setup']?.Next).toBe('Lockstep or free?');
    expect(choice).toMatchObject({
      Type: 'Choice',
      Comment: expect.stringMatching(/slow host/),
      Default: 'Run workloads',
      Choices: [expect.objectContaining({ Next: 'Run hosts' })],
    });
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.hosts',
      MaxConcurrencyPath: '$.hostConcurrency',
      ItemSelector: { 'runId.$': '$.runId', 'host.$': '$$.Map.Item.Value', 'workloads.$': '$.workloads' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: "Run host's workloads",
      },
      Catch: [expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'Run global teardown' })],
    });
    // Every run-command step inside a host's execution is scoped to that host.
    const payloads: Record<string, unknown>[] = [];
    const walk = (states: Record<string, Record<string, unknown>>) => {
      for (const state of Object.values(states)) {
        const payload = (state.Parameters as { Payload?: Record<string, unknown> } | undefined)?.Payload;
        if (payload && 'phase' in payload) payloads.push(payload);
        const inner = state.ItemProcessor as { States: Record<string, Record<string, unknown>> } | undefined;
        if (inner) walk(inner.States);
      }
    };
    walk((map?.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States);
    expect(payloads.map((p) => p.phase)).toEqual(['setup', 'repetition', 'teardown']);
    for (const p of payloads) expect(p['host.$']).toBe('$.host');
  });

  it('may invoke exactly the three workflow functions', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [functionIds.planRun, functionIds.runCommand, functionIds.finalizeRun].map((id) => ({
              'Fn::GetAtt': [id, 'Arn'],
            })),
          },
        ]),
      },
    });
  });
});
