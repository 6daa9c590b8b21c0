import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CONFIG_ENV,
  loadConfig,
  OPTIONAL_CONFIG_ENV,
  readAwsConfig,
} from '../../../lib/adapters/aws/config.js';
import {
  configFromOutputs,
  readStackOutputs,
  STACK_OUTPUT_KEYS,
} from '../../../lib/adapters/aws/stack-outputs.js';
import { EngineError } from '../../../lib/core/errors.js';
import { awsError } from './aws-fakes.js';

const env = {
  [CONFIG_ENV.journalTable]: 'journal',
  [CONFIG_ENV.catalogTable]: 'catalog',
  [CONFIG_ENV.eventBusName]: 'fleetbench',
  [CONFIG_ENV.outputBucket]: 'outputs',
  [CONFIG_ENV.stateMachineArn]: 'arn:aws:states:us-east-1:123456789012:stateMachine:Fleetbench-run',
  [CONFIG_ENV.instanceProfileArn]: 'arn:aws:iam::123456789012:instance-profile/p',
  AWS_REGION: 'us-east-1',
};

describe('Function: loadConfig', () => {
  it('reads every setting and creates the clients once for the region', async () => {
    const { config, clients } = loadConfig(env);

    expect(config).toEqual({
      journalTable: 'journal',
      catalogTable: 'catalog',
      eventBusName: 'fleetbench',
      outputBucket: 'outputs',
      stateMachineArn: env[CONFIG_ENV.stateMachineArn],
      instanceProfileArn: env[CONFIG_ENV.instanceProfileArn],
      region: 'us-east-1',
    });
    await expect(clients.ssm.config.region()).resolves.toBe('us-east-1');
  });

  it.each([
    ['30d', 2_592_000],
    ['2592000', 2_592_000],
  ])('reads the run retention %s as seconds', (value, seconds) => {
    expect(readAwsConfig({ ...env, [OPTIONAL_CONFIG_ENV.runRetention]: value }).runRetentionSeconds).toBe(
      seconds,
    );
  });

  it('names a run retention it cannot read, with an example', () => {
    const reading = () => readAwsConfig({ ...env, [OPTIONAL_CONFIG_ENV.runRetention]: 'a month' });

    expect(reading).toThrow(EngineError);
    expect(reading).toThrow('FLEETBENCH_RUN_RETENTION: invalid duration "a month"');
  });

  it.each(Object.values(CONFIG_ENV))('names the missing variable %s', (variable) => {
    const { [variable]: _missing, ...rest } = env;

    expect(() => readAwsConfig(rest)).toThrow(EngineError);
    expect(() => readAwsConfig(rest)).toThrow(`missing environment variable ${variable}`);
  });
});

const cloudformation = mockClient(CloudFormationClient);

describe('Function: readStackOutputs', () => {
  beforeEach(() => {
    cloudformation.reset();
  });

  it("turns the stack's outputs into the CLI's configuration", async () => {
    cloudformation.on(DescribeStacksCommand, { StackName: 'Fleetbench' }).resolves({
      Stacks: [
        {
          StackName: 'Fleetbench',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: Object.values(STACK_OUTPUT_KEYS).map((key) => ({
            OutputKey: key,
            OutputValue: `value-of-${key}`,
          })),
        },
      ],
    });

    const outputs = await readStackOutputs(new CloudFormationClient({ region: 'us-east-1' }));

    expect(configFromOutputs(outputs, 'us-east-1')).toEqual({
      journalTable: 'value-of-JournalTableName',
      catalogTable: 'value-of-CatalogTableName',
      eventBusName: 'value-of-EventBusName',
      outputBucket: 'value-of-OutputBucketName',
      stateMachineArn: 'value-of-StateMachineArn',
      instanceProfileArn: 'value-of-InstanceProfileArn',
      region: 'us-east-1',
    });
  });

  it('says how to deploy when the stack does not exist', async () => {
    cloudformation
      .on(DescribeStacksCommand)
      .rejects(awsError('ValidationError', 'Stack with id Fleetbench does not exist'));

    await expect(readStackOutputs(new CloudFormationClient({ region: 'us-east-1' }))).rejects.toMatchObject({
      message: 'stack Fleetbench is not deployed in this region',
      hint: expect.stringContaining('npx cdk deploy'),
    });
  });
});
