import { describe, expect, it } from 'vitest';
import { dynamoRequests } from '../../../lib/adapters/dynamodb/request-model.js';
import { projectCost } from '../../../lib/core/projection/cost.js';
import { COST_ASSUMPTIONS } from '../../../lib/core/projection/cost-assumptions.js';
import { AWS_PRICES } from '../../../lib/core/projection/prices.js';

/** 2 hosts, 1 workload of 1 repetition, no setup or teardown commands. */
const TWO_HOSTS = {
  hosts: 2,
  globalSetup: 0,
  globalTeardown: 0,
  workloads: [{ reps: 1, setup: 0, teardown: 0 }],
};

describe('Function: projectCost', () => {
  it('prices a fixed 2-host, 1-repetition run from its counted requests', () => {
    const cost = projectCost(TWO_HOSTS, dynamoRequests);

    expect(cost.usage).toMatchObject({
      hostTasks: 2,
      stateTransitions: 15,
      historyEvents: 66,
      lambda: {
        invocations: { 'plan-run': 1, 'run-command': 5, 'on-invocation-status': 3, 'finalize-run': 1 },
      },
      dynamo: { readUnits: 34, writeUnits: 35 },
      putEventsEntries: 8,
      ssmInvocations: 2,
      s3Puts: 0,
      s3Gets: 0,
      logBytes: 78_000,
      xrayTraces: 2,
    });
    expect(cost.usage.lambda.gbSeconds).toBeCloseTo(0.94517, 5);
    // 15 transitions, 10 requests, 0.94517 GB-s, 35 WRU (one PROVIDER# item, each host's OUT# output), 34 RRU
    // (3 PROVIDER# lookups, the current token on close), 8 events, no S3 request (the outputs SSM returned
    // are kept in the journal), 78,000 log bytes, 2 traces
    expect(cost.totalUsd).toBeCloseTo(0.00047005, 8);
    expect(cost.usdPerThousandHostTasks).toBeCloseTo(0.235024, 6);
    expect(cost.lines.find((l) => l.price === 'ssmRunCommand')?.usd).toBe(0);
    expect(AWS_PRICES.region).toBe('us-east-1');
  });

  it("bills free for its host executions and for each host's one-host commands", () => {
    const lockstep = projectCost(TWO_HOSTS, dynamoRequests);
    const free = projectCost(TWO_HOSTS, dynamoRequests, 'free');

    // the run's 10 transitions and 8 in each host's execution; 40 + 2 × 38 history events
    expect(free.usage).toMatchObject({ stateTransitions: 26, historyEvents: 116, ssmInvocations: 2 });
    // run-command: global setup and teardown once, each host's setup, repetition and teardown;
    // on-invocation-status: each host's repetition is its own command (one host event, one command event)
    expect(free.usage.lambda.invocations).toEqual({
      'plan-run': 1,
      'run-command': 8,
      'on-invocation-status': 4,
      'finalize-run': 1,
    });
    const freeRows = dynamoRequests(TWO_HOSTS, 'free', COST_ASSUMPTIONS.itemBytes);
    expect(freeRows.find((r) => r.request === 'journal PutItem CMD#')?.calls).toBe(2);
    expect(freeRows.find((r) => r.request === "journal GetItem TASK# (the host's)")?.calls).toBe(2);
    expect(free.usage.dynamo.requests).toBeGreaterThan(lockstep.usage.dynamo.requests);
    expect(free.totalUsd).toBeGreaterThan(lockstep.totalUsd);
  });
});
