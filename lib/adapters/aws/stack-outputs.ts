/**
 * What the CLI needs to reach a deployed stack, read from its CloudFormation outputs. The output keys
 * are defined here and used by lib/infra to declare them, so the stack and the CLI cannot drift apart.
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { EngineError } from '../../core/errors.js';
import type { AwsConfig } from './config.js';
import { errorName } from './retry.js';
import { DEFAULT_STACK_NAME } from './stack-name.js';

export { DEFAULT_STACK_NAME };

/** CfnOutput id of each value. */
export const STACK_OUTPUT_KEYS = {
  stateMachineArn: 'StateMachineArn',
  journalTableName: 'JournalTableName',
  catalogTableName: 'CatalogTableName',
  eventBusName: 'EventBusName',
  outputBucketName: 'OutputBucketName',
  instanceProfileArn: 'InstanceProfileArn',
  eventLogGroupName: 'EventLogGroupName',
} as const;

export type StackOutputs = { readonly [K in keyof typeof STACK_OUTPUT_KEYS]: string };

/**
 * Reads the stack's outputs.
 * @throws EngineError when the stack does not exist or lacks an output (an older version: redeploy)
 * @example
 * const outputs = await readStackOutputs(clients.cloudformation);
 * const config = configFromOutputs(outputs, 'eu-west-1');
 */
export async function readStackOutputs(
  client: CloudFormationClient,
  stackName: string = DEFAULT_STACK_NAME,
): Promise<StackOutputs> {
  let outputs: Output[];
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = out.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    if (errorName(error) === 'ValidationError') {
      throw new EngineError(`stack ${stackName} is not deployed in this region`, {
        hint: 'deploy it with `AWS_REGION=<region> npx cdk deploy`, or set AWS_REGION to the region it is in',
        cause: error,
      });
    }
    throw error;
  }
  const byKey = new Map(outputs.map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  const values: Partial<Record<keyof StackOutputs, string>> = {};
  for (const [field, key] of Object.entries(STACK_OUTPUT_KEYS) as [keyof StackOutputs, string][]) {
    const value = byKey.get(key);
    if (!value) {
      throw new EngineError(`stack ${stackName} has no output ${key}`, {
        hint: 'update it with `npx cdk deploy`',
      });
    }
    values[field] = value;
  }
  return values as StackOutputs;
}

/** The configuration the adapters need, from a stack's outputs (the CLI's counterpart of loadConfig). */
export function configFromOutputs(outputs: StackOutputs, region?: string): AwsConfig {
  return {
    journalTable: outputs.journalTableName,
    catalogTable: outputs.catalogTableName,
    eventBusName: outputs.eventBusName,
    outputBucket: outputs.outputBucketName,
    stateMachineArn: outputs.stateMachineArn,
    instanceProfileArn: outputs.instanceProfileArn,
    ...(region ? { region } : {}),
  };
}
