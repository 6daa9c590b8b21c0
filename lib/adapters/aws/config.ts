/**
 * The one place the AWS side reads its configuration (STYLE rule 13). The stack sets these environment
 * variables on every function (lib/infra reads CONFIG_ENV, so the names are written once); `loadConfig()`
 * reads them, fails with one clear line naming a missing variable, and creates the SDK clients once, so a
 * Lambda builds them once per cold start and adapters receive them through their constructors.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseDuration } from '../../core/duration.js';
import { EngineError } from '../../core/errors.js';
import { createDocumentClient } from '../dynamodb/tables.js';

/** Environment variable of each setting. */
export const CONFIG_ENV = {
  journalTable: 'FLEETBENCH_JOURNAL_TABLE',
  catalogTable: 'FLEETBENCH_CATALOG_TABLE',
  eventBusName: 'FLEETBENCH_EVENT_BUS',
  outputBucket: 'FLEETBENCH_OUTPUT_BUCKET',
  stateMachineArn: 'FLEETBENCH_STATE_MACHINE_ARN',
  instanceProfileArn: 'FLEETBENCH_INSTANCE_PROFILE_ARN',
} as const;

/** Settings with a default: read when set, never required. */
export const OPTIONAL_CONFIG_ENV = {
  /** How long provisioned hosts get to be running with their SSM agent Online ("10m", "900", …). */
  provisionTimeout: 'FLEETBENCH_PROVISION_TIMEOUT',
  /** How long after they ended runs are purged by the reconciler ("30d"); unset, runs are kept. */
  runRetention: 'FLEETBENCH_RUN_RETENTION',
} as const;

export type AwsConfig = { readonly [K in keyof typeof CONFIG_ENV]: string } & {
  /** From AWS_REGION (set by Lambda, or by the user for the CLI); the SDK's own lookup when absent. */
  readonly region?: string;
  /** From FLEETBENCH_PROVISION_TIMEOUT; the host provider's default (10 minutes) when absent. */
  readonly provisionTimeoutSeconds?: number;
  /** From FLEETBENCH_RUN_RETENTION (the stack's `runRetention`, set on the reconciler only). */
  readonly runRetentionSeconds?: number;
};

/** The SDK clients, created once and shared by every adapter. */
export type AwsClients = {
  readonly dynamo: DynamoDBDocumentClient;
  readonly ssm: SSMClient;
  readonly sfn: SFNClient;
  readonly events: EventBridgeClient;
  readonly s3: S3Client;
  readonly ec2: EC2Client;
  readonly cloudformation: CloudFormationClient;
};

export type LoadedConfig = { readonly config: AwsConfig; readonly clients: AwsClients };

/**
 * Reads the configuration from an environment.
 * @throws EngineError naming the first missing variable
 * @example
 * const config = readAwsConfig({ FLEETBENCH_JOURNAL_TABLE: 'j', ... });
 */
export function readAwsConfig(env: NodeJS.ProcessEnv): AwsConfig {
  const values: Partial<Record<keyof typeof CONFIG_ENV, string>> = {};
  for (const [key, variable] of Object.entries(CONFIG_ENV) as [keyof typeof CONFIG_ENV, string][]) {
    const value = env[variable]?.trim();
    if (!value) {
      throw new EngineError(`missing environment variable ${variable}`, {
        hint: 'the FleetbenchStack sets it on every function; redeploy with `npx cdk deploy`',
      });
    }
    values[key] = value;
  }
  const region = env.AWS_REGION?.trim();
  const provisionTimeout = env[OPTIONAL_CONFIG_ENV.provisionTimeout]?.trim();
  const runRetention = env[OPTIONAL_CONFIG_ENV.runRetention]?.trim();
  return {
    ...(values as { [K in keyof typeof CONFIG_ENV]: string }),
    ...(region ? { region } : {}),
    ...(provisionTimeout
      ? {
          provisionTimeoutSeconds: readDuration(
            provisionTimeout,
            OPTIONAL_CONFIG_ENV.provisionTimeout,
            '15m',
          ),
        }
      : {}),
    ...(runRetention
      ? { runRetentionSeconds: readDuration(runRetention, OPTIONAL_CONFIG_ENV.runRetention, '30d') }
      : {}),
  };
}

function readDuration(value: string, variable: string, example: string): number {
  try {
    return parseDuration(value, variable);
  } catch (error) {
    throw new EngineError((error as Error).message, { hint: `e.g. ${variable}=${example}`, cause: error });
  }
}

/** Creates every SDK client once, for the configured region. */
export function createAwsClients(config: Pick<AwsConfig, 'region'>): AwsClients {
  const base = config.region ? { region: config.region } : {};
  return {
    dynamo: createDocumentClient(new DynamoDBClient(base)),
    ssm: new SSMClient(base),
    sfn: new SFNClient(base),
    events: new EventBridgeClient(base),
    s3: new S3Client(base),
    ec2: new EC2Client(base),
    cloudformation: new CloudFormationClient(base),
  };
}

/**
 * Reads the configuration and creates the clients: call it once (per cold start, per CLI command).
 * @example
 * const { config, clients } = loadConfig();
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const config = readAwsConfig(env);
  return { config, clients: createAwsClients(config) };
}
