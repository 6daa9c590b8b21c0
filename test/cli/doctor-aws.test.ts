import { describe, expect, it } from 'vitest';
import { awsChecks } from '../../lib/cli/doctor-aws.js';
import { EngineError } from '../../lib/core/errors.js';
import { parsePlan } from '../../lib/core/plan.js';
import { plugins } from '../../lib/core/plugins/index.js';
import type { HostProvider } from '../../lib/core/ports.js';

const stack = {
  stackName: 'Fleetbench',
  outputs: { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Fleetbench-run' },
  close: () => undefined,
} as never;

const plan = (hosts: string) =>
  parsePlan(
    `name: p\nhosts: ${hosts}\nworkloads:\n  - name: w\n    plugin: shell\n    options: { command: "true" }\n`,
    'plan.yaml',
    plugins,
  );

const provider: HostProvider = {
  resolve: async () => [
    { id: 'i-0aaa', name: 'web-1' },
    { id: 'i-0bbb', name: 'web-2' },
  ],
  checkConnectivity: async (hosts) => ({
    reachable: [hosts[0] ?? { id: '', name: '' }],
    unreachable: [
      { host: hosts[1] ?? { id: '', name: '' }, reason: 'SSM ping status ConnectionLost (agent 3.3.40)' },
    ],
  }),
};

describe('Function: awsChecks', () => {
  it('reports a missing region or credentials as one failed check with its fix', async () => {
    const checks = await awsChecks({
      connect: async () => {
        throw new EngineError('no AWS region set', { hint: 'set AWS_REGION' });
      },
    });

    expect(checks).toEqual([
      { check: 'aws access', status: 'FAILED', detail: 'no AWS region set', fix: 'set AWS_REGION' },
    ]);
  });

  it('connects to the stack in the region the command resolved, and closes it', async () => {
    // Prepare
    const asked: { stackName?: string; region?: string }[] = [];
    let closed = 0;

    // Act
    await awsChecks({
      stackName: 'Bench',
      region: 'eu-west-1',
      connect: async (options) => {
        asked.push(options);
        return { ...(stack as object), close: () => void closed++ } as never;
      },
    });

    // Assess
    expect(asked).toStrictEqual([{ stackName: 'Bench', region: 'eu-west-1' }]);
    expect(closed).toBe(1);
  });

  it("checks each of the plan's hosts for SSM reachability, with the fix for the silent one", async () => {
    const checks = await awsChecks({
      connect: async () => stack,
      plan: plan('{ tags: { team: perf } }'),
      hostProvider: () => provider,
    });

    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['aws access', 'OK'],
      ['stack Fleetbench', 'OK'],
      ['host web-1', 'OK'],
      ['host web-2', 'FAILED'],
    ]);
    expect(checks[3]).toMatchObject({
      detail: 'SSM ping status ConnectionLost (agent 3.3.40)',
      fix: expect.stringContaining('AmazonSSMManagedInstanceCore'),
    });
  });

  it('fails a plan with local hosts and accepts one that provisions its hosts', async () => {
    const local = await awsChecks({ connect: async () => stack, plan: plan('{ local: 2 }') });
    const provisioned = await awsChecks({
      connect: async () => stack,
      plan: plan('{ provision: { count: 3, instanceType: c7g.large, ami: ami-0123456789abcdef0 } }'),
    });

    expect(local.at(-1)).toMatchObject({ check: 'hosts', status: 'FAILED' });
    expect(provisioned.at(-1)).toMatchObject({
      check: 'hosts',
      status: 'OK',
      detail: '3 host(s) will be launched for the run',
    });
  });
});
