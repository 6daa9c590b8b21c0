/**
 * The use cases' Deps on AWS: every port bound to its AWS adapter, all sharing the clients loadConfig()
 * created. The Lambdas and the CLI's aws target build their Deps here, so both run the use cases the same way.
 */
import type { Clock, Deps, Logger } from '../../core/ports.js';
import { DynamoCatalogRepo } from '../dynamodb/catalog-repo.js';
import { JournalOutputs } from '../dynamodb/journal-outputs.js';
import { DynamoJournalRepo } from '../dynamodb/journal-repo.js';
import { systemClock } from '../system-clock.js';
import type { LoadedConfig } from './config.js';
import { Ec2HostProvider } from './ec2-host-provider.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import type { RetryOverrides } from './retry.js';
import { S3OutputStore } from './s3-output-store.js';
import { SfnTaskCallbacks } from './sfn-task-callbacks.js';
import { SsmCommandRunner } from './ssm-command-runner.js';
import { SsmInvocationReader } from './ssm-invocation-reader.js';
import { SsmOutputSpill } from './ssm-output-spill.js';
import { SsmOutputStore } from './ssm-output-store.js';

/**
 * @example
 * const deps = createAwsDeps(loadConfig(), { logger });
 * await planRun(deps, { plan });
 */
export function createAwsDeps(
  { config, clients }: LoadedConfig,
  options: {
    readonly logger: Logger;
    readonly clock?: Clock;
    readonly retry?: RetryOverrides;
    /** Shared with the status-event translator, so a host's answer reads its invocation once. */
    readonly invocations?: SsmInvocationReader;
  },
): Deps {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const retry = options.retry ?? { sleep: (ms: number) => clock.sleep(ms) };
  const invocations = options.invocations ?? new SsmInvocationReader({ ssm: clients.ssm, retry });
  return {
    journal: new DynamoJournalRepo({ client: clients.dynamo, tableName: config.journalTable }),
    catalog: new DynamoCatalogRepo({ client: clients.dynamo, tableName: config.catalogTable, clock }),
    runner: new SsmCommandRunner({ ssm: clients.ssm, retry }),
    outputs: new SsmOutputStore({
      s3: new S3OutputStore({ s3: clients.s3 }),
      journal: new JournalOutputs({ client: clients.dynamo, tableName: config.journalTable }),
      invocations,
      spill: new SsmOutputSpill({ ssm: clients.ssm, outputBucket: config.outputBucket, invocations, retry }),
      logger,
    }),
    hosts: new Ec2HostProvider({
      ec2: clients.ec2,
      ssm: clients.ssm,
      retry,
      clock,
      instanceProfileArn: config.instanceProfileArn,
      ...(config.provisionTimeoutSeconds === undefined
        ? {}
        : { readyTimeoutMs: config.provisionTimeoutSeconds * 1000 }),
    }),
    callbacks: new SfnTaskCallbacks({ sfn: clients.sfn, logger, retry }),
    events: new EventBridgePublisher({
      client: clients.events,
      eventBusName: config.eventBusName,
      logger,
      retry,
    }),
    clock,
    logger,
    target: 'aws',
  };
}
