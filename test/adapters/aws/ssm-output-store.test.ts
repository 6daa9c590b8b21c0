import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3OutputStore } from '../../../lib/adapters/aws/s3-output-store.js';
import { SsmInvocationReader } from '../../../lib/adapters/aws/ssm-invocation-reader.js';
import { KEEP_FROM_BYTES } from '../../../lib/adapters/aws/ssm-kept-output.js';
import { SsmOutputSpill } from '../../../lib/adapters/aws/ssm-output-spill.js';
import { SsmOutputStore } from '../../../lib/adapters/aws/ssm-output-store.js';
import { JournalOutputs } from '../../../lib/adapters/dynamodb/journal-outputs.js';
import type { InvocationResult } from '../../../lib/core/run.js';
import { startTestDynalite, type TestDynalite } from '../../support/dynalite.js';
import { noWait, recordingLogger } from './aws-fakes.js';

const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);
const RUN = 'cpu-20250102-030405-i000';
const COPY = `https://s3.us-east-1.amazonaws.com/outputs/runs/${RUN}/outputs/a1.repetition.cpu.1/copy-1/i-1/awsrunShellScript/0.awsrunShellScript`;

let db: TestDynalite;

beforeAll(async () => {
  db = await startTestDynalite();
});

afterAll(async () => {
  await db.stop();
});

beforeEach(() => {
  ssm.reset();
  s3.reset();
});

function store(options: { waitMs?: number } = {}) {
  const client = new SSMClient({ region: 'us-east-1' });
  const invocations = new SsmInvocationReader({ ssm: client, retry: noWait() });
  const logger = recordingLogger();
  const journal = new JournalOutputs({ client: db.doc, tableName: db.tableNames.journal });
  return {
    logger,
    journal,
    outputs: new SsmOutputStore({
      s3: new S3OutputStore({ s3: new S3Client({ region: 'us-east-1' }) }),
      journal,
      invocations,
      spill: new SsmOutputSpill({
        ssm: client,
        outputBucket: 'outputs',
        invocations,
        retry: noWait(),
        ...options,
      }),
      logger,
    }),
  };
}

function result(runId: string, overrides: Partial<InvocationResult> = {}): InvocationResult {
  return {
    runId,
    commandId: 'a1.repetition.cpu.1',
    hostId: 'i-1',
    status: 'Success',
    stdoutRef: 'ssm:ssm-1/i-1/stdout',
    stderrRef: 'ssm:ssm-1/i-1/stderr',
    ...overrides,
  };
}

function answered(stdout: string, stderr = '', extra: Record<string, unknown> = {}) {
  return {
    Status: 'Success',
    StatusDetails: 'Success',
    ResponseCode: 0,
    StandardOutputContent: stdout,
    StandardErrorContent: stderr,
    ...extra,
  } as const;
}

let n = 0;
const newRun = () => `${RUN}-${++n}`;

describe('Class: SsmOutputStore', () => {
  describe('Method: keep', () => {
    it('keeps an output SSM returned whole in the journal, read back without another request', async () => {
      // Prepare
      const runId = newRun();
      ssm.on(GetCommandInvocationCommand).resolves(answered('{"ops": 12}\n', 'warm\n'));
      const { outputs, journal } = store();

      // Act
      const kept = await outputs.keep(result(runId));

      // Assess
      expect(kept).toEqual({
        stdoutRef: `journal:${runId}/a1.repetition.cpu.1/i-1/stdout`,
        stderrRef: `journal:${runId}/a1.repetition.cpu.1/i-1/stderr`,
      });
      expect(await outputs.read(kept.stdoutRef ?? '')).toBe('{"ops": 12}\n');
      expect(await journal.read(kept.stderrRef ?? '')).toBe('warm\n');
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(1);
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    });

    it('keeps nothing for an empty output', async () => {
      ssm.on(GetCommandInvocationCommand).resolves(answered(''));

      await expect(store().outputs.keep(result(newRun()))).resolves.toEqual({});
    });

    it('leaves refs that already last as they are (S3, files)', async () => {
      const refs = { stdoutRef: 's3://outputs/runs/r/x/stdout', stderrRef: 's3://outputs/runs/r/x/stderr' };

      await expect(store().outputs.keep(result(newRun(), refs))).resolves.toEqual(refs);
      expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
    });

    it('copies an output SSM may have cut to S3 from the host, and refers to the copy', async () => {
      const runId = newRun();
      ssm
        .on(GetCommandInvocationCommand, { CommandId: 'ssm-1' })
        .resolves(answered('x'.repeat(24_000)))
        .on(GetCommandInvocationCommand, { CommandId: 'copy-1' })
        .resolvesOnce({ Status: 'InProgress' })
        .resolves(
          answered('', '', { StandardOutputUrl: `${COPY}/stdout`, StandardErrorUrl: `${COPY}/stderr` }),
        );
      ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'copy-1' } });

      const kept = await store().outputs.keep(result(runId));

      expect(kept).toEqual({
        stdoutRef: `s3://outputs/runs/${RUN}/outputs/a1.repetition.cpu.1/copy-1/i-1/awsrunShellScript/0.awsrunShellScript/stdout`,
        stderrRef: `s3://outputs/runs/${RUN}/outputs/a1.repetition.cpu.1/copy-1/i-1/awsrunShellScript/0.awsrunShellScript/stderr`,
      });
      expect(ssm.commandCalls(SendCommandCommand)[0]?.args[0].input).toMatchObject({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-1'],
        OutputS3BucketName: 'outputs',
        OutputS3KeyPrefix: `runs/${runId}/outputs/a1.repetition.cpu.1`,
      });
    });

    it.each([
      ['the host kept no copy', { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 3 }, {}],
      ['the copy does not end in time', { Status: 'InProgress' }, { waitMs: 2_000 }],
    ])('keeps what SSM returned, marked truncated, with a warning, when %s', async (_why, copy, options) => {
      const runId = newRun();
      const long = 'y'.repeat(KEEP_FROM_BYTES.stdout + 10);
      ssm
        .on(GetCommandInvocationCommand, { CommandId: 'ssm-1' })
        .resolves(answered(long))
        .on(GetCommandInvocationCommand, { CommandId: 'copy-1' })
        .resolves(copy as never);
      ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'copy-1' } });
      const { outputs, logger, journal } = store(options);

      const kept = await outputs.keep(result(runId));

      expect(kept.stdoutRef).toBe(`journal:${runId}/a1.repetition.cpu.1/i-1/stdout`);
      expect(await journal.read(kept.stdoutRef ?? '')).toBe(long);
      expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn' }));
    });
  });

  describe('Method: read', () => {
    it('reads an output SSM still holds, and one in S3', async () => {
      ssm.on(GetCommandInvocationCommand).resolves(answered('held\n'));
      s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => 'copied\n' } } as never);
      const { outputs } = store();

      expect(await outputs.read('ssm:ssm-1/i-1/stdout')).toBe('held\n');
      expect(await outputs.read('s3://outputs/runs/r/c/stdout')).toBe('copied\n');
    });

    it('refuses a ref of another target', async () => {
      await expect(store().outputs.read('/data/runs/r/outputs/c/h.stdout')).rejects.toThrow(
        /not an output ref/,
      );
    });
  });
});
