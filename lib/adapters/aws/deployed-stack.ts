/**
 * A deployed FleetbenchStack as the CLI reaches it: the stack's outputs (DescribeStacks) name the tables,
 * the state machine, the bus and the run-event log; the same DynamoDB repositories the Lambdas use read
 * the journal and the catalog. Region, profile and credentials come from the standard AWS environment
 * (AWS_REGION, AWS_PROFILE, ~/.aws/config, …), exactly as the AWS CLI finds them.
 *
 * The CLI runs no workflow use case against the stack: starting a run is StartExecution, stopping one is the
 * `Stop Requested` event, and everything that changes a run's journal happens in the stack's Lambdas. The one
 * exception is removing runs that have ended (`fleetbench rm`, lib/app/remove-runs.ts), which no function of
 * the stack drives: the CLI deletes their catalog entries (conditionally), journal items and output objects
 * itself, and publishes `run.removed` on the bus.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EngineError } from '../../core/errors.js';
import type {
  CatalogRepo,
  EventPublisher,
  JournalRepo,
  Logger,
  OutputStore,
  RunArtifacts,
} from '../../core/ports.js';
import { DynamoCatalogRepo } from '../dynamodb/catalog-repo.js';
import { JournalOutputs } from '../dynamodb/journal-outputs.js';
import { DynamoJournalRepo } from '../dynamodb/journal-repo.js';
import { createDocumentClient } from '../dynamodb/tables.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import { RecordedOutputs } from './recorded-outputs.js';
import { errorName } from './retry.js';
import { RunEventLog } from './run-event-log.js';
import { S3OutputStore } from './s3-output-store.js';
import { S3RunOutputs } from './s3-run-outputs.js';
import { SfnExecutions } from './sfn-executions.js';
import { DEFAULT_STACK_NAME, readStackOutputs, type StackOutputs } from './stack-outputs.js';
import { type StopRequestDetail, sendStopRequest } from './stop-request.js';

export type DeployedStack = {
  readonly stackName: string;
  readonly outputs: StackOutputs;
  readonly journal: JournalRepo;
  readonly catalog: CatalogRepo;
  /** The hosts' outputs the runs kept: in the journal, or copied to the output bucket. */
  readonly taskOutputs: OutputStore;
  readonly executions: SfnExecutions;
  readonly eventLog: RunEventLog;
  /** The run CloudEvents the CLI itself publishes on the stack's bus (`run.removed`). */
  readonly events: EventPublisher;
  /** The runs' objects in the output bucket. */
  readonly artifacts: RunArtifacts;
  /** Puts a `Stop Requested` event on the stack's bus; the stop-run function acts on it. */
  requestStop(detail: StopRequestDetail): Promise<void>;
  /** Releases the SDK clients' sockets. */
  close(): void;
};

/**
 * @example
 * const stack = await connectStack({ stackName: 'Fleetbench', region: 'eu-west-1' });
 * try { console.log((await stack.catalog.list()).length); } finally { stack.close(); }
 */
export async function connectStack(
  options: {
    readonly stackName?: string;
    readonly region?: string;
    /** Where the CLI's own publisher reports events the bus kept refusing. @default silent */
    readonly logger?: Logger;
  } = {},
): Promise<DeployedStack> {
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const base = options.region ? { region: options.region } : {};
  const cloudformation = new CloudFormationClient(base);
  const dynamo = new DynamoDBClient(base);
  const sfn = new SFNClient(base);
  const events = new EventBridgeClient(base);
  const logs = new CloudWatchLogsClient(base);
  const s3 = new S3Client(base);
  const close = () => {
    for (const client of [cloudformation, dynamo, sfn, events, logs, s3]) client.destroy();
  };
  let outputs: StackOutputs;
  try {
    await requireRegion(cloudformation);
    outputs = await readStackOutputs(cloudformation, stackName);
  } catch (error) {
    close();
    if (errorName(error) === 'CredentialsProviderError') {
      throw new EngineError('no AWS credentials found', {
        hint: 'configure them as for the AWS CLI: `aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
        cause: error,
      });
    }
    throw error;
  }
  const doc = createDocumentClient(dynamo);
  return {
    stackName,
    outputs,
    journal: new DynamoJournalRepo({ client: doc, tableName: outputs.journalTableName }),
    catalog: new DynamoCatalogRepo({ client: doc, tableName: outputs.catalogTableName }),
    taskOutputs: new RecordedOutputs({
      journal: new JournalOutputs({ client: doc, tableName: outputs.journalTableName }),
      s3: new S3OutputStore({ s3 }),
    }),
    executions: new SfnExecutions({ sfn, stateMachineArn: outputs.stateMachineArn }),
    eventLog: new RunEventLog({ logs, logGroupName: outputs.eventLogGroupName }),
    events: new EventBridgePublisher({
      client: events,
      eventBusName: outputs.eventBusName,
      logger: options.logger ?? SILENT,
    }),
    artifacts: new S3RunOutputs({ s3, bucket: outputs.outputBucketName }),
    requestStop: (detail) => sendStopRequest(events, outputs.eventBusName, detail),
    close,
  };
}

const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** The SDK only notices a missing region at the first call, with a bare "Region is missing": say it first. */
async function requireRegion(client: CloudFormationClient): Promise<void> {
  const region = await client.config.region().catch(() => undefined);
  if (!region) {
    throw new EngineError('no AWS region set', {
      hint: 'set AWS_REGION (or a region in your AWS profile) to the region the stack is deployed in',
    });
  }
}
