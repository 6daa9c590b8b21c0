/**
 * Contract of the Step Functions executions adapter with Step Functions as moto 5.2.1 plays it: the state
 * machine is created from the real statemachines/run.asl.json, its Lambda placeholders substituted as
 * CloudFormation's DefinitionSubstitutions do, and the real SfnExecutions starts, describes and stops
 * executions of it through the real SDK client.
 *
 * What moto lacks, and where it is covered instead: moto does not execute a definition (an execution stays
 * RUNNING until stopped) — the workflow itself runs in aws-local-stepfunctions (test/lambdas/workflow.test.ts,
 * test/e2e/*); StopExecution's error and cause are not kept, and GetExecutionHistory is canned, so
 * `taskFailure` stays in sfn-executions.test.ts with aws-sdk-client-mock.
 */
import { readFile } from 'node:fs/promises';
import { CreateStateMachineCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnPrefix, SfnExecutions } from '../../../lib/adapters/aws/sfn-executions.js';
import { DEFINITION_SUBSTITUTIONS, RUN_DEFINITION_PATH } from '../../../lib/infra/run-workflow.js';
import { MOTO_ACCOUNT, MOTO_REGION, type MotoServer, startMotoServer } from '../../support/moto-server.js';
import { noWait } from './aws-fakes.js';

let moto: MotoServer;
let stateMachineArn: string;
let executions: SfnExecutions;

const plan = {
  name: 'cpu',
  hosts: { tags: { team: 'perf' } },
  repetitions: 2,
  workloads: [{ name: 'cpu', plugin: 'stress-ng', options: { stressor: 'cpu', timeout: '10s' } }],
};

/** run.asl.json as CloudFormation hands it to Step Functions: every `${Placeholder}` replaced by its ARN. */
async function deployedDefinition(): Promise<string> {
  let definition = await readFile(RUN_DEFINITION_PATH, 'utf8');
  for (const placeholder of Object.values(DEFINITION_SUBSTITUTIONS)) {
    const arn = `arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT}:function:Fleetbench-${placeholder.replace(/FunctionArn$/, '')}`;
    definition = definition.replaceAll(`\${${placeholder}}`, arn);
  }
  expect(definition).not.toMatch(/\$\{[A-Za-z]+\}/);
  return definition;
}

beforeAll(async () => {
  moto = await startMotoServer();
  const created = await moto.clients.sfn.send(
    new CreateStateMachineCommand({
      name: 'Fleetbench-run',
      definition: await deployedDefinition(),
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/Fleetbench-WorkflowStateMachineRole`,
      type: 'STANDARD',
    }),
  );
  stateMachineArn = created.stateMachineArn ?? '';
  executions = new SfnExecutions({ sfn: moto.clients.sfn, stateMachineArn, retry: noWait() });
});

afterAll(async () => {
  await moto?.stop();
});

describe('Class: SfnExecutions on moto', () => {
  describe('Method: start', () => {
    it('starts an execution named after the run, with the plan and run id as its input', async () => {
      const runId = 'cpu-20261206-050000-ab12';

      const arn = await executions.start({ plan, runId }, runId);

      expect(arn).toBe(`${executionArnPrefix(stateMachineArn)}${runId}`);
      expect(executions.owns(arn)).toBe(true);
      const described = await moto.clients.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      expect(JSON.parse(described.input ?? '')).toEqual({ plan, runId });
    });

    it('gets the same execution back when a retried start repeats the run id and input', async () => {
      const runId = 'cpu-20261206-050001-ab12';
      const first = await executions.start({ plan, runId }, runId);

      const again = await executions.start({ plan, runId }, runId);

      expect(again).toBe(first);
    });

    it('refuses a second run with a run id already used', async () => {
      const runId = 'cpu-20261206-050002-ab12';
      await executions.start({ plan, runId }, runId);

      const error = await executions
        .start({ plan: { ...plan, repetitions: 3 }, runId }, runId)
        .catch((e: unknown) => e);

      expect((error as Error).name).toBe('ExecutionAlreadyExists');
    });
  });

  describe('Methods: describe, isDriverAlive, stop', () => {
    it('sees a started execution RUNNING and alive, then ABORTED and dead once stopped', async () => {
      const runId = 'cpu-20261206-050003-ab12';
      const executionArn = await executions.start({ plan, runId }, runId);

      const before = {
        summary: await executions.describe(executionArn),
        alive: await executions.isDriverAlive({ executionArn }),
      };
      const stopped = await executions.stop(executionArn, 'fleetbench stop --force by cli:contract');
      const after = {
        summary: await executions.describe(executionArn),
        alive: await executions.isDriverAlive({ executionArn }),
      };

      expect(before).toEqual({ summary: { status: 'RUNNING' }, alive: true });
      expect(stopped).toBe(true);
      expect(after).toEqual({ summary: { status: 'ABORTED' }, alive: false });
    });

    it('judges an execution of this state machine that does not exist as dead, and stops nothing', async () => {
      const executionArn = `${executionArnPrefix(stateMachineArn)}never-started-20261206-050004-ab12`;

      expect(await executions.isDriverAlive({ executionArn })).toBe(false);
      expect(await executions.stop(executionArn, 'stop')).toBe(false);
    });

    it('does not judge a run another state machine or the local engine drives', async () => {
      const other = `arn:aws:states:${MOTO_REGION}:${MOTO_ACCOUNT}:execution:Other-run:cpu-20261206-050005-ab12`;

      expect(await executions.isDriverAlive({ executionArn: other })).toBeUndefined();
      expect(await executions.isDriverAlive({ engine: 'local' })).toBeUndefined();
    });
  });
});
