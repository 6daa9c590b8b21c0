/**
 * A moto_server (moto 5.2.1, the machine's Python) on a free loopback port, for the adapter contract tests:
 * the real adapters send their real requests through the real SDK clients, and moto answers as AWS would —
 * as far as moto implements the API (each test file says what moto lacks). One server per test file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { requireTool } from './python-tools.js';

export const MOTO_REGION = 'us-east-1';
/** moto's default account. */
export const MOTO_ACCOUNT = '123456789012';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;

export type MotoServer = {
  readonly endpoint: string;
  /** The settings every SDK client needs to talk to this server (and never to AWS). */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    readonly maxAttempts: number;
  };
  readonly clients: {
    readonly ec2: EC2Client;
    readonly ssm: SSMClient;
    readonly s3: S3Client;
    readonly events: EventBridgeClient;
    readonly sfn: SFNClient;
    readonly dynamo: DynamoDBClient;
    readonly logs: CloudWatchLogsClient;
  };
  /** Creates an IAM instance profile (the SDK's IAM client is not a dependency: one Query call does it). */
  createInstanceProfile(name: string): Promise<string>;
  stop(): Promise<void>;
};

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/data.json`);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts moto_server and waits until it answers; fails saying how to install moto when it is missing.
 * @example
 * const moto = await startMotoServer();
 * const runner = new SsmCommandRunner({ ssm: moto.clients.ssm, outputBucket });
 * await moto.stop();
 */
export async function startMotoServer(): Promise<MotoServer> {
  await requireTool('moto_server');
  // The port can be taken between freePort() and moto binding it: then moto exits, and another port is tried.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const endpoint = `http://${HOST}:${port}`;
    const child = spawn('moto_server', ['-H', HOST, '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = `${stderr}${d.toString()}`.slice(-4_000);
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (child.exitCode === null && !(await answers(endpoint))) {
      if (Date.now() > deadline) {
        await stopProcess(child);
        throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (child.exitCode !== null) {
      if (attempt < 3) continue;
      throw new Error(`moto_server exited with code ${child.exitCode}: ${stderr}`);
    }
    const clientConfig = {
      endpoint,
      region: MOTO_REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    };
    return {
      endpoint,
      clientConfig,
      clients: {
        ec2: new EC2Client(clientConfig),
        ssm: new SSMClient(clientConfig),
        // moto serves every bucket on its one host: path-style addressing.
        s3: new S3Client({ ...clientConfig, forcePathStyle: true }),
        events: new EventBridgeClient(clientConfig),
        sfn: new SFNClient(clientConfig),
        dynamo: new DynamoDBClient(clientConfig),
        logs: new CloudWatchLogsClient(clientConfig),
      },
      createInstanceProfile: (name) => createInstanceProfile(endpoint, name),
      stop: () => stopProcess(child),
    };
  }
}

async function createInstanceProfile(endpoint: string, name: string): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes a request to a service by the credential scope of its signature.
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({
      Action: 'CreateInstanceProfile',
      InstanceProfileName: name,
      Version: '2010-05-08',
    }),
  });
  const text = await response.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!response.ok || !arn) throw new Error(`CreateInstanceProfile ${name} failed: ${text.slice(0, 300)}`);
  return arn;
}

/** What a client sent: the command name and its input, in order. */
export type SentRequest = { readonly command: string; readonly input: Record<string, unknown> };

type MiddlewareClient = {
  middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
};

/**
 * Records every request a client sends (the adapters' batching and paging, seen from the wire's side).
 * @example
 * const sent = recordRequests(moto.clients.ssm);
 * await runner.send(request);
 * sent.filter((r) => r.command === 'SendCommandCommand'); // one per 50 hosts
 */
export function recordRequests(client: object): SentRequest[] {
  const sent: SentRequest[] = [];
  (client as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({
        command: context.commandName ?? '?',
        input: { ...(args.input as Record<string, unknown>) },
      });
      return next(args);
    },
    { step: 'initialize', name: `record-${Math.random()}` },
  );
  return sent;
}

/**
 * Answers one command moto does not implement, in the client itself: the test says which and why; every
 * other command still goes to moto.
 */
export function answerLocally(
  client: object,
  commandName: string,
  answer: (input: Record<string, unknown>) => Promise<object>,
): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) =>
      context.commandName === commandName
        ? {
            output: { $metadata: {}, ...(await answer(args.input as Record<string, unknown>)) },
            response: {},
          }
        : next(args),
    { step: 'initialize', name: `answer-${commandName}` },
  );
}
