import { execFileSync, spawnSync } from 'node:child_process';
import {
  CancelCommandCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  hostScript,
  SsmCommandRunner,
  sendCommandInput,
} from '../../../lib/adapters/aws/ssm-command-runner.js';
import { commandComment, parseCommandComment } from '../../../lib/adapters/aws/ssm-invocations.js';
import type { CommandRequest } from '../../../lib/core/ports.js';
import type { CommandRecord, Host } from '../../../lib/core/run.js';
import { awsError, noWait } from './aws-fakes.js';

const ssm = mockClient(SSMClient);

function hosts(n: number): Host[] {
  return Array.from({ length: n }, (_, i) => ({ id: `i-${String(i).padStart(17, '0')}`, name: `host-${i}` }));
}

function request(overrides: Partial<CommandRequest> = {}): CommandRequest {
  const all = overrides.hosts ?? hosts(3);
  return {
    runId: 'cpu-20250102-030405-i000',
    commandId: 'a1.repetition.cpu.3',
    phase: 'repetition',
    hosts: all,
    script: 'stress-ng --cpu 2',
    env: { FLEETBENCH_RUN_ID: 'cpu-20250102-030405-i000' },
    hostEnv: Object.fromEntries(
      all.map((h, i) => [h.id, { FLEETBENCH_HOST: h.name, FLEETBENCH_SEED: String(1000 + i) }]),
    ),
    timeoutSeconds: 600,
    ...overrides,
  };
}

function runner(retry = noWait()) {
  return new SsmCommandRunner({ ssm: new SSMClient({ region: 'us-east-1' }), retry });
}

beforeEach(() => {
  ssm.reset();
});

describe('Class: SsmCommandRunner', () => {
  describe('Method: send', () => {
    it('sends 120 instances as 3 SendCommand calls of at most 50 ids, in order', async () => {
      // Prepare
      let n = 0;
      ssm.on(SendCommandCommand).callsFake(async () => ({ Command: { CommandId: `ssm-${++n}` } }));
      const all = hosts(120);

      // Act
      const { providerIds } = await runner().send(request({ hosts: all }));

      // Assess
      const calls = ssm.commandCalls(SendCommandCommand);
      expect(calls.map((c) => c.args[0].input.InstanceIds?.length)).toEqual([50, 50, 20]);
      expect(calls.flatMap((c) => c.args[0].input.InstanceIds)).toEqual(all.map((h) => h.id));
      expect(providerIds).toEqual(['ssm-1', 'ssm-2', 'ssm-3']);
    });

    it('sends AWS-RunShellScript with the correlation comment, no output bucket, and timeouts from the request', async () => {
      ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'ssm-1' } });

      await runner().send(request({ maxConcurrency: 2, maxErrors: 1 }));

      const input = ssm.commandCalls(SendCommandCommand)[0]?.args[0].input;
      expect(input).toMatchObject({
        DocumentName: 'AWS-RunShellScript',
        Comment: 'fleetbench cpu-20250102-030405-i000 a1.repetition.cpu.3',
        CloudWatchOutputConfig: { CloudWatchOutputEnabled: false },
        MaxConcurrency: '2',
        MaxErrors: '1',
        // 3 hosts, 2 at a time: the second wave may start one timeout later.
        TimeoutSeconds: 1200,
      });
      expect(input?.Parameters?.executionTimeout).toEqual(['600']);
      // SSM returns the output itself; only an output too long for that is copied to S3 later.
      expect(input?.OutputS3BucketName).toBeUndefined();
      expect(input?.OutputS3KeyPrefix).toBeUndefined();
    });

    it('lets every host run when the plan sets no concurrency or error limit', () => {
      const input = sendCommandInput(request(), hosts(3));
      expect(input).toMatchObject({ MaxConcurrency: '100%', MaxErrors: '100%', TimeoutSeconds: 600 });
    });

    it('retries SendCommand on ThrottlingException and TooManyUpdates with growing backoff', async () => {
      ssm
        .on(SendCommandCommand)
        .rejectsOnce(awsError('ThrottlingException'))
        .rejectsOnce(awsError('TooManyUpdates'))
        .resolves({ Command: { CommandId: 'ssm-1' } });
      const retry = noWait();

      const { providerIds } = await runner(retry).send(request());

      expect(providerIds).toEqual(['ssm-1']);
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(3);
      expect(retry.sleep.mock.calls.map(([ms]) => ms)).toEqual([50, 100]);
    });

    it('cancels the batches already sent when a later batch fails, and rethrows', async () => {
      ssm
        .on(SendCommandCommand)
        .resolvesOnce({ Command: { CommandId: 'ssm-1' } })
        .rejects(awsError('AccessDeniedException', 'not authorized on i-x'));
      ssm.on(CancelCommandCommand).resolves({});

      await expect(runner().send(request({ hosts: hosts(60) }))).rejects.toThrow('not authorized');

      expect(ssm.commandCalls(CancelCommandCommand).map((c) => c.args[0].input)).toEqual([
        { CommandId: 'ssm-1' },
      ]);
    });

    it('rounds a sub-second timeout up to the whole second SSM counts', () => {
      const input = sendCommandInput(request({ timeoutSeconds: 0.5 }), hosts(1));
      expect(input.Parameters?.executionTimeout).toEqual(['1']);
      expect(input.TimeoutSeconds).toBe(30);
    });

    it('refuses a timeout above the 48 h SSM allows', async () => {
      await expect(runner().send(request({ timeoutSeconds: 172_801 }))).rejects.toThrow(/48 h/);
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    });
  });

  describe('Function: hostScript', () => {
    it.each([
      ['i-00000000000000000', 'host-0', '1000'],
      ['i-00000000000000001', 'host-1', '1001'],
    ])('gives %s its own environment, then the common one', (instanceId, host, seed) => {
      const script = `${hostScript(request({ script: 'echo "$FLEETBENCH_HOST $FLEETBENCH_SEED $FLEETBENCH_RUN_ID"' }), hosts(2))}`;

      const out = execFileSync('/bin/sh', ['-c', script], {
        env: { AWS_SSM_INSTANCE_ID: instanceId },
        encoding: 'utf8',
      });

      expect(out.trim()).toBe(`${host} ${seed} cpu-20250102-030405-i000`);
    });

    it('passes values with quotes and shell syntax through literally', () => {
      const tricky = `it's $(rm -rf /) "quoted" \`x\``;
      const script = hostScript(
        {
          runId: 'r',
          commandId: 'a1.repetition.cpu.1',
          env: { MODE: tricky },
          hostEnv: { 'i-1': { FLEETBENCH_SEED: "o'clock" } },
          script: 'printf "%s|%s" "$MODE" "$FLEETBENCH_SEED"',
        },
        [{ id: 'i-1', name: 'h' }],
      );

      const out = execFileSync('/bin/sh', ['-c', script], {
        env: { AWS_SSM_INSTANCE_ID: 'i-1' },
        encoding: 'utf8',
      });

      expect(out).toBe(`${tricky}|o'clock`);
    });

    it('fails loudly on a host whose agent does not say which instance it is', () => {
      const script = hostScript(request(), hosts(1));

      const run = spawnSync('/bin/sh', ['-c', script], { env: {}, encoding: 'utf8' });

      expect(run.status).toBe(97);
      expect(run.stderr).toContain('update the SSM agent');
    });
  });

  describe('Method: cancel', () => {
    it('cancels only the given hosts each SSM command targets, at most 50 per call', async () => {
      const all = hosts(120);
      ssm
        .on(ListCommandsCommand, { CommandId: 'ssm-1' })
        .resolves({ Commands: [{ InstanceIds: all.slice(0, 50).map((h) => h.id) }] })
        .on(ListCommandsCommand, { CommandId: 'ssm-2' })
        .resolves({ Commands: [{ InstanceIds: all.slice(50, 100).map((h) => h.id) }] })
        .on(ListCommandsCommand, { CommandId: 'ssm-3' })
        .resolves({ Commands: [{ InstanceIds: all.slice(100).map((h) => h.id) }] });
      ssm.on(CancelCommandCommand).resolves({});
      const silent = all.slice(40, 120);

      await runner().cancel({ runId: 'r', commandId: 'c', providerIds: ['ssm-1', 'ssm-2', 'ssm-3'] }, silent);

      const calls = ssm.commandCalls(CancelCommandCommand).map((c) => c.args[0].input);
      expect(calls.map((c) => [c.CommandId, c.InstanceIds?.length])).toEqual([
        ['ssm-1', 10],
        ['ssm-2', 50],
        ['ssm-3', 20],
      ]);
      expect(calls.flatMap((c) => c.InstanceIds)).toEqual(silent.map((h) => h.id));
    });

    it('skips a command SSM no longer knows', async () => {
      ssm.on(ListCommandsCommand).rejects(awsError('InvalidCommandId'));

      await runner().cancel({ runId: 'r', commandId: 'c', providerIds: ['gone'] }, hosts(2));

      expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(0);
    });
  });

  describe('Method: poll', () => {
    it("maps every invocation of the command's hosts to an InvocationResult, its output held by SSM or in S3", async () => {
      const [a, b] = hosts(2) as [Host, Host];
      ssm.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [
          {
            CommandId: 'ssm-1',
            InstanceId: a.id,
            Status: 'Success',
            CommandPlugins: [
              {
                ResponseCode: 0,
                StandardOutputUrl:
                  'https://s3.us-east-1.amazonaws.com/outputs-bucket/runs/r/outputs/c/ssm-1/i-a/awsrunShellScript/0.awsrunShellScript/stdout',
              },
            ],
          },
          { CommandId: 'ssm-1', InstanceId: b.id, Status: 'InProgress' },
          { CommandId: 'ssm-1', InstanceId: 'i-not-in-the-command', Status: 'Success' },
        ],
      });
      const command: CommandRecord = {
        runId: 'r',
        commandId: 'c',
        phase: 'repetition',
        hosts: [a, b],
        taskToken: 't',
        cancellable: true,
        status: 'SENT',
        hostCount: 2,
        answered: 0,
        outcomes: {},
        providerIds: ['ssm-1'],
        sentAt: '2025-01-01T00:00:00.000Z',
      };

      const results = await runner().poll(command);

      expect(results).toEqual([
        {
          runId: 'r',
          commandId: 'c',
          hostId: a.id,
          status: 'Success',
          exitCode: 0,
          stdoutRef:
            's3://outputs-bucket/runs/r/outputs/c/ssm-1/i-a/awsrunShellScript/0.awsrunShellScript/stdout',
        },
        {
          runId: 'r',
          commandId: 'c',
          hostId: b.id,
          status: 'InProgress',
          stdoutRef: `ssm:ssm-1/${b.id}/stdout`,
          stderrRef: `ssm:ssm-1/${b.id}/stderr`,
        },
      ]);
      expect(ssm.commandCalls(ListCommandInvocationsCommand)[0]?.args[0].input).toMatchObject({
        CommandId: 'ssm-1',
        Details: true,
      });
    });
  });
});

describe('Function: commandComment', () => {
  it('round-trips the run and command ids', () => {
    const comment = commandComment('cpu-20250102-030405-i000', 'a1.repetition.cpu.3');
    expect(parseCommandComment(comment)).toEqual({
      runId: 'cpu-20250102-030405-i000',
      commandId: 'a1.repetition.cpu.3',
    });
  });

  it('stays within 100 characters, eliding a long command id (the journal still maps the SSM id to it)', () => {
    const comment = commandComment(
      'a-very-long-plan-name-abc-20250102-030405-i000',
      `a1.repetition.${'w'.repeat(40)}.9999`,
    );
    expect(comment.length).toBeLessThanOrEqual(100);
    expect(parseCommandComment(comment)).toBe('elided');
  });

  it("does not claim somebody else's command", () => {
    expect(parseCommandComment('patch the fleet')).toBeUndefined();
    expect(parseCommandComment(undefined)).toBeUndefined();
  });
});
