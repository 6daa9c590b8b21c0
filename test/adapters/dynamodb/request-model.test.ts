import { describe, expect, it } from 'vitest';
import { awsPathRun } from '../../../bench/lib/aws-path.js';
import { dynamoRequests } from '../../../lib/adapters/dynamodb/request-model.js';

const shape = (hosts: number) => ({
  hosts,
  globalSetup: 0,
  globalTeardown: 0,
  workloads: [{ reps: 2, setup: 0, teardown: 0 }],
});
const modelCalls = (hosts: number) => dynamoRequests(shape(hosts)).reduce((n, r) => n + r.calls, 0);

describe('Function: dynamoRequests', () => {
  it('counts the requests the repositories really send: the same growth per host, and the total within 2', async () => {
    // Act: the use cases of a lockstep run on dynalite, with the repositories' requests counted, at two sizes
    const small = await awsPathRun(3, 1, 2);
    const large = await awsPathRun(12, 1, 2);

    // Assess: what each host adds matches exactly; the per-run part within 2 (the bench reports the exact ratio)
    expect(modelCalls(12) - modelCalls(3)).toBe(large.dynamo.requests - small.dynamo.requests);
    expect(Math.abs(modelCalls(3) - small.dynamo.requests)).toBeLessThanOrEqual(2);
  }, 60_000);
});
