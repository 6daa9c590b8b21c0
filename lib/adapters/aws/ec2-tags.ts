/**
 * The tags fleetbench reads and writes on EC2 instances. Two of them are IAM boundaries of the stack
 * (lib/infra/run-functions.ts): `fleetbench=true` lets it send commands to an instance, and
 * `fleetbench:managed=true` marks the instances it launched itself — the only ones it may terminate, and
 * the only ones RunInstances may create (an `aws:RequestTag` condition).
 */
import type { Tag } from '@aws-sdk/client-ec2';

/** The tag that lets the stack send commands to an instance (its IAM condition `ssm:resourceTag/fleetbench`). */
export const FLEETBENCH_TAG = { key: 'fleetbench', value: 'true' } as const;

/** Instances fleetbench launched for a run (`hosts: {provision}`): it terminates them, and only them. */
export const MANAGED_TAG = { key: 'fleetbench:managed', value: 'true' } as const;

/** The run an ephemeral instance was launched for. */
export const RUN_TAG_KEY = 'fleetbench:run';

export const NAME_TAG_KEY = 'Name';

/**
 * Every tag an ephemeral instance (and its volumes) is launched with.
 * @example
 * managedTags('cpu-20250102-030405-ab12', 'fleetbench-cpu-20250102-030405-ab12-1');
 */
export function managedTags(runId: string, name: string): Tag[] {
  return [
    { Key: MANAGED_TAG.key, Value: MANAGED_TAG.value },
    { Key: RUN_TAG_KEY, Value: runId },
    { Key: FLEETBENCH_TAG.key, Value: FLEETBENCH_TAG.value },
    { Key: NAME_TAG_KEY, Value: name },
  ];
}

/** The value of tag `key`, if the instance carries it. */
export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}
