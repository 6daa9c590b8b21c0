/**
 * The use cases' Deps on AWS: every port bound to its AWS adapter, all sharing the clients loadConfig()
 * created. The Lambdas and the CLI's aws target build their Deps here, so both run the use cases the same way.
 */
import type { Clock, Deps, Logger } from '../../core/ports.js';
import { DynamoCatalogRepo } from '../dynamodb/catalog-repo.js';
import { DynamoJournalRepo } from '../dynamodb/journal-repo.js';
import { systemClock } from '../system-clock.js';
import type { LoadedConfig } from './config.js';
import { Ec2HostProvider } from './ec2-host-provider.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import type { RetryOverrides } from './retry.js';
import { S3OutputStore } from './s3-output-store.js';
import { SfnTaskCallbacks } from './sfn-task-callbacks.js';
import { SsmCommandRunner } from './ssm-command-runner.js';

/**
 * @example
 * const deps = createAwsDeps(loadConfig(), { logger });
 * await planRun(deps, { plan });
 */
export function createAwsDeps(
  { config, clients }: LoadedConfig,
  options: { readonly logger: Logger; readonly clock?: Clock; readonly retry?: RetryOverrides },
): Deps {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const retry = options.retry ?? { sleep: (ms: number) => clock.sleep(ms) };
  return {
    journal: new DynamoJournalRepo({ client: clients.dynamo, tableName: config.journalTable }),
    catalog: new DynamoCatalogRepo({ client: clients.dynamo, tableName: config.catalogTable, clock }),
    runner: new SsmCommandRunner({ ssm: clients.ssm, outputBucket: config.outputBucket, retry }),
    outputs: new S3OutputStore({ s3: clients.s3 }),
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
