/**
 * The two read calls every EC2 host adapter makes — DescribeInstances and SSM DescribeInstanceInformation —
 * with their pagination, batching and retries written once.
 */
import { DescribeInstancesCommand, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  type InstanceInformation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { chunk, isThrottling, type RetryPolicy, withRetry } from './retry.js';

/** DescribeInstanceInformation filters take ≤ 50 values here (SSM's own batch size). */
const SSM_FILTER_BATCH = 50;
/** Instance ids per DescribeInstances/TerminateInstances request. */
export const EC2_ID_BATCH = 200;

/**
 * Every instance matching `input`, all pages. `retryable` widens the retries beyond throttling (right after
 * a launch, new ids are briefly unknown: `InvalidInstanceID.NotFound`).
 * @example
 * const running = await describeInstances(ec2, { Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }, retry);
 */
export async function describeInstances(
  ec2: EC2Client,
  input: { readonly InstanceIds?: string[]; readonly Filters?: Filter[] },
  retry: RetryPolicy,
  retryable: (error: unknown) => boolean = isThrottling,
): Promise<Instance[]> {
  const instances: Instance[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await withRetry(
      () => ec2.send(new DescribeInstancesCommand({ ...input, ...(token ? { NextToken: token } : {}) })),
      retryable,
      retry,
    );
    for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return instances;
}

/**
 * The SSM agent of each instance that has registered one, by instance id.
 * @example
 * const online = (await describeAgents(ssm, ids, retry)).get(id)?.PingStatus === 'Online';
 */
export async function describeAgents(
  ssm: SSMClient,
  ids: readonly string[],
  retry: RetryPolicy,
): Promise<Map<string, InstanceInformation>> {
  const agents = new Map<string, InstanceInformation>();
  for (const batch of chunk(ids, SSM_FILTER_BATCH)) {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await withRetry(
        () =>
          ssm.send(
            new DescribeInstanceInformationCommand({
              Filters: [{ Key: 'InstanceIds', Values: batch }],
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        isThrottling,
        retry,
      );
      for (const info of page.InstanceInformationList ?? [])
        if (info.InstanceId) agents.set(info.InstanceId, info);
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return agents;
}
