/**
 * An AWS account in a test. `statemachines/run.asl.json` runs in aws-local-stepfunctions with every Task
 * state bound to the real Lambda handler (middy stack included), whose runtime holds the real AWS adapters
 * (SsmCommandRunner, SfnTaskCallbacks, EventBridgePublisher, S3OutputStore, Ec2HostProvider, the DynamoDB
 * repositories over dynalite) on SDK clients mocked with aws-sdk-client-mock. The mocks play the services:
 *
 * - SSM: SendCommand starts invocations on a simulated fleet; once the run-command invocation has returned,
 *   each instance's result is announced by an "EC2 Command Invocation Status-change Notification" event
 *   handed to on-invocation-status, which reads it back with GetCommandInvocation (its output as SSM returns
 *   it: the first 24,000 characters of stdout, 8,000 of stderr). Like the script ssm-kept-output.ts builds, a
 *   host keeps a copy of an output that long; a command sent with an output bucket (the copy of
 *   ssm-output-spill.ts) runs at once, uploading the host's copy to S3 (GetObject reads it).
 *   CancelCommand cancels held invocations and announces them Cancelled.
 * - Step Functions: a waiting Task state gets a unique token (the interpreter's `$$.Task.Token` is static);
 *   SendTaskSuccess/SendTaskFailure settle it; StartExecution/DescribeExecution/StopExecution/
 *   GetExecutionHistory drive whole executions.
 * - EventBridge: PutEvents routes `Stop Requested` to stop-run (asynchronously, as a rule target would) and
 *   copies run CloudEvents into the run-event log group, which FilterLogEvents reads.
 * - S3: the objects the fleet uploaded, read with GetObject, listed with ListObjectsV2 (pages of 2) and
 *   deleted with DeleteObjects (`rm --purge`).
 * - CloudFormation: DescribeStacks gives the stack's outputs, naming the dynalite tables.
 *
 * Nothing here reaches AWS: every client a test (or the CLI under test) creates is mocked, except DynamoDB,
 * which is dynalite.
 */
import { randomUUID } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CancelCommandCommand,
  type CommandInvocation,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { createFinalizeRunHandler } from '../../lambdas/finalize-run.js';
import { createOnInvocationStatusHandler } from '../../lambdas/on-invocation-status.js';
import { createPlanRunHandler } from '../../lambdas/plan-run.js';
import { createReconcileHandler } from '../../lambdas/reconcile.js';
import { createRunCommandHandler } from '../../lambdas/run-command.js';
import { type AwsRuntime, lambda, logger } from '../../lambdas/runtime.js';
import { createStopRunHandler } from '../../lambdas/stop-run.js';
import { createAwsDeps } from '../../lib/adapters/aws/aws-deps.js';
import type { AwsConfig } from '../../lib/adapters/aws/config.js';
import { SfnExecutions } from '../../lib/adapters/aws/sfn-executions.js';
import { SsmInvocationReader } from '../../lib/adapters/aws/ssm-invocation-reader.js';
import { KEEP_FROM_BYTES, keptOutputDir, SSM_INLINE_LIMITS } from '../../lib/adapters/aws/ssm-kept-output.js';
import { SsmStatusEvents } from '../../lib/adapters/aws/ssm-status-event.js';
import { STACK_OUTPUT_KEYS, type StackOutputs } from '../../lib/adapters/aws/stack-outputs.js';
import { loadRunDefinition, taskFunctions } from '../../lib/adapters/local/workflow-definition.js';
import type { Clock } from '../../lib/core/ports.js';
import { recordingLogger } from '../adapters/aws/aws-fakes.js';
import { startTestDynalite, type TestDynalite } from '../support/dynalite.js';
import { asPrincipal, recordRequest, recordSdkRequests } from '../support/iam/recording.js';
import type { Principal } from '../support/iam/requests.js';
import { context } from './fakes.js';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const STACK_NAME = 'Fleetbench';
export const STATE_MACHINE_NAME = `${STACK_NAME}-run`;
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
/** The state machine of free's Distributed Map child executions (`<name>/<map run label>`). */
export const CHILD_STATE_MACHINE_ARN = `${STATE_MACHINE_ARN}/hosts`;
export const BUCKET = 'fleetbench-outputs-123';
export const BUS = 'fleetbench';
export const EVENT_LOG_GROUP = `/aws/events/${STACK_NAME}/run-events`;

/** One instance of the simulated fleet. */
export type FakeInstance = {
  readonly id: string;
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly state?: 'running' | 'stopped';
  readonly ping?: 'Online' | 'ConnectionLost';
};

/** A SendCommand the fleet received: one SSM command (≤ 50 instances) of one fleetbench step. */
export type SentCommand = {
  readonly ssmCommandId: string;
  readonly input: SendCommandCommandInput;
  readonly runId: string;
  /** fleetbench's command id, `a1.repetition.cpu.2`, from the Comment. */
  readonly commandId: string;
  readonly phase: string;
  readonly invocations: Map<string, Invocation>;
  started: boolean;
};

type Invocation = {
  status: 'InProgress' | 'Success' | 'Failed' | 'Cancelled';
  responseCode: number;
  startedAt: Date;
  finishedAt?: Date;
  stdout?: string;
  stderr?: string;
};

/** How an instance answers a command: its output, its exit code, or not at all yet (`hold`). */
export type Answer = {
  readonly hold?: boolean;
  readonly exitCode?: number;
  readonly stdout?: string;
  readonly stderr?: string;
};
export type Behaviour = (command: SentCommand, instanceId: string) => Answer;

type Deferred = {
  readonly executionArn: string;
  /** The state machine of the execution that issued the token: the run's, or a Distributed Map child's. */
  readonly stateMachineArn: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
};

type Execution = {
  readonly arn: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  error?: string;
  cause?: string;
  /** Child executions free's Distributed Map started (Step Functions stops them with the parent). */
  readonly children: Map<string, string>;
  /** The last Task state failure, as GetExecutionHistory reports it. */
  taskFailure?: { error: string; cause: string };
  readonly done: Promise<void>;
  abort(): void;
};

type LogLine = { readonly timestamp: number; readonly message: string };

/** An Error named like an AWS service error (adapters branch on `name`). */
export function awsServiceError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A function's ARN, named `<stack>-<key in FUNCTIONS>` as the IAM rehearsal resolves the template. */
export function functionArn(key: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${STACK_NAME}-${key}`;
}

/** The rules whose targets this fake plays, named as the IAM rehearsal resolves the template. */
export const RULE_ARNS = {
  stopRequested: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/${STACK_NAME}-StopRequested`,
  invocationStatus: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${STACK_NAME}-InvocationStatus`,
  runEventsToLogs: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/${STACK_NAME}-RunEventsToLogs`,
  reconcile: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${STACK_NAME}-Reconcile`,
} as const;

/**
 * @example
 * const aws = await FakeAws.start({ instances: fleet(3) });
 * const arn = await aws.startExecution({ plan });
 * await aws.execution(arn).done;
 * await aws.stop();
 */
export class FakeAws {
  readonly ssm = mockClient(SSMClient);
  readonly sfn = mockClient(SFNClient);
  readonly eventBridge = mockClient(EventBridgeClient);
  readonly s3 = mockClient(S3Client);
  readonly ec2 = mockClient(EC2Client);
  readonly cloudformation = mockClient(CloudFormationClient);
  readonly logs = mockClient(CloudWatchLogsClient);

  /** Every SendCommand, in order. */
  readonly sent: SentCommand[] = [];
  /** Objects the fleet uploaded (`<bucket>/<key>` → body): the outputs copied to S3. */
  readonly objects = new Map<string, string>();
  /** The copies hosts keep of outputs too long for SSM to return, by `<instance id> <host directory>`. */
  readonly keptOnHosts = new Map<string, { stdout: string; stderr: string }>();
  /** Errors thrown by handlers invoked asynchronously (status events, stop requests): a test expects none. */
  readonly asyncErrors: unknown[] = [];
  /** Lines logged through the use cases' Logger port. */
  readonly log = recordingLogger();
  /** fleetbench command ids whose run-command invocation returned. */
  readonly stepsSent = new Set<string>();
  readonly runtime: AwsRuntime;
  readonly handlers: ReturnType<typeof createHandlers>;
  behaviour: Behaviour = () => ({});

  readonly #instances: Map<string, FakeInstance>;
  readonly #tokens = new Map<string, Deferred>();
  readonly #executions = new Map<string, Execution>();
  readonly #logLines: LogLine[] = [];
  readonly #background = new Set<Promise<unknown>>();
  readonly #definition = loadRunDefinition();
  /** Task states inside free's Distributed Map: they run in child executions. */
  readonly #childStates = distributedMapStates(this.#definition);
  readonly #unrecord: () => void;
  #tokenSeq = 0;

  private constructor(
    readonly db: TestDynalite,
    instances: readonly FakeInstance[],
    runRetentionSeconds: number | undefined,
  ) {
    this.#instances = new Map(instances.map((i) => [i.id, i]));
    const clock: Clock = {
      now: () => new Date(),
      // The stop coordinator polls through clock.sleep: resolve at once (a macrotask, so I/O proceeds).
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
    };
    const config: AwsConfig = {
      journalTable: db.tableNames.journal,
      catalogTable: db.tableNames.catalog,
      eventBusName: BUS,
      outputBucket: BUCKET,
      stateMachineArn: STATE_MACHINE_ARN,
      instanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/fleetbench-hosts`,
      region: REGION,
      ...(runRetentionSeconds === undefined ? {} : { runRetentionSeconds }),
    };
    const base = { region: REGION, credentials: CREDENTIALS };
    const clients = {
      dynamo: db.doc,
      ssm: new SSMClient(base),
      sfn: new SFNClient(base),
      events: new EventBridgeClient(base),
      s3: new S3Client(base),
      ec2: new EC2Client(base),
      cloudformation: new CloudFormationClient(base),
    };
    const retry = { sleep: async () => {}, random: () => 0 };
    const invocations = new SsmInvocationReader({ ssm: clients.ssm, retry });
    this.runtime = {
      config,
      clients,
      deps: createAwsDeps({ config, clients }, { logger: this.log, clock, retry, invocations }),
      statusEvents: new SsmStatusEvents({ ssm: clients.ssm, retry, invocations }),
      executions: new SfnExecutions({ sfn: clients.sfn, stateMachineArn: STATE_MACHINE_ARN, retry }),
    };
    this.handlers = createHandlers(() => this.runtime);
    this.#mockServices();
    this.#unrecord = recordSdkRequests(
      [
        SSMClient,
        SFNClient,
        EventBridgeClient,
        S3Client,
        EC2Client,
        CloudFormationClient,
        CloudWatchLogsClient,
        DynamoDBDocumentClient,
      ],
      {
        account: ACCOUNT,
        region: REGION,
        instanceTags: (id) => {
          const instance = this.#instances.get(id);
          return instance ? tagsOf(instance) : {};
        },
        tokenStateMachine: (token) => this.#tokens.get(token)?.stateMachineArn ?? STATE_MACHINE_ARN,
      },
    );
  }

  /** `runRetentionSeconds`: the reconciler's configured retention (the stack's `runRetention`). */
  static async start(options: {
    readonly instances: readonly FakeInstance[];
    readonly runRetentionSeconds?: number;
  }): Promise<FakeAws> {
    // The handlers' Powertools logger writes JSON lines to stdout; keep the test output readable.
    for (const level of ['info', 'warn', 'error'] as const)
      vi.spyOn(logger, level).mockImplementation(() => {});
    return new FakeAws(await startTestDynalite(), options.instances, options.runRetentionSeconds);
  }

  /** The stack outputs DescribeStacks returns. */
  get outputs(): StackOutputs {
    return {
      stateMachineArn: STATE_MACHINE_ARN,
      journalTableName: this.db.tableNames.journal,
      catalogTableName: this.db.tableNames.catalog,
      eventBusName: BUS,
      outputBucketName: BUCKET,
      instanceProfileArn: this.runtime.config.instanceProfileArn,
      eventLogGroupName: EVENT_LOG_GROUP,
    };
  }

  /** Starts an execution as StartExecution does; returns its ARN. */
  startExecution(input: unknown, name: string = randomUUID()): string {
    const arn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
    if (this.#executions.has(arn))
      throw awsServiceError('ExecutionAlreadyExists', `execution ${name} exists`);
    const machine = new StateMachine(this.#definition as never, { validationOptions: { checkArn: false } });
    const run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.#bindings(arn) as never },
      context: {
        Execution: { Id: arn, Name: name, Input: input as never, StartTime: new Date().toISOString() },
        Task: { Token: 'the-interpreter-token-is-static' },
      },
      noThrowOnAbort: true,
    });
    const execution: Execution = {
      arn,
      status: 'RUNNING',
      children: new Map(),
      abort: () => {
        execution.status = 'ABORTED';
        for (const child of execution.children.values())
          recordRequest({
            principal: 'stateMachine',
            action: 'states:StopExecution',
            resource: child,
            context: {},
          });
        run.abort();
      },
      done: run.result.then(
        () => {
          if (execution.status === 'RUNNING') execution.status = 'SUCCEEDED';
        },
        (error: Error) => {
          if (execution.status !== 'RUNNING') return;
          // The interpreter wraps what ended the execution (a Fail state, an uncaught error) in an ExecutionError.
          const failure = error.cause instanceof Error ? error.cause : error;
          execution.status = 'FAILED';
          execution.error = failure.name;
          execution.cause = failure.message;
        },
      ),
    };
    this.#executions.set(arn, execution);
    return arn;
  }

  execution(arn: string): Execution {
    const execution = this.#executions.get(arn);
    if (!execution) throw new Error(`no execution ${arn}`);
    return execution;
  }

  /** Tokens of Task states still waiting. */
  get waitingTokens(): string[] {
    return [...this.#tokens.keys()];
  }

  /** Resolves when every asynchronous invocation (status events, stop requests) has finished. */
  async idle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Polls until `condition` holds (real time, a few ms per turn), or fails after `timeoutMs`. */
  async until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** The run CloudEvents the log group holds (what `fleetbench events --target aws` reads). */
  get loggedEvents(): { type: string; data: Record<string, unknown> }[] {
    return this.#logLines.map((l) => (JSON.parse(l.message) as { detail: never }).detail);
  }

  async stop(): Promise<void> {
    for (const execution of this.#executions.values()) if (execution.status === 'RUNNING') execution.abort();
    await this.idle();
    this.#unrecord();
    for (const mock of [
      this.ssm,
      this.sfn,
      this.eventBridge,
      this.s3,
      this.ec2,
      this.cloudformation,
      this.logs,
    ])
      mock.restore();
    vi.restoreAllMocks();
    await this.db.stop();
  }

  /** Task state name → the handler its Lambda would run, as the local engine binds them. */
  #bindings(
    executionArn: string,
  ): Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>> {
    const bindings: Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>> = {};
    for (const [state, fn] of taskFunctions(this.#definition)) {
      bindings[state] = async ({ Payload }) => {
        const key = (['planRun', 'runCommand', 'finalizeRun'] as const).find((k) =>
          fn.includes(`${k[0]?.toUpperCase()}${k.slice(1)}`),
        );
        if (key) this.#recordInvoke(key, state, executionArn, Payload);
        try {
          if (fn.includes('PlanRun'))
            return { Payload: await this.#invoke(this.handlers.planRun(Payload, context)) };
          if (fn.includes('FinalizeRun'))
            return { Payload: await this.#invoke(this.handlers.finalizeRun(Payload, context)) };
          if (fn.includes('RunCommand'))
            return await this.#runCommand(executionArn, Payload, this.#childStates.has(state));
        } catch (error) {
          const failed = error as Error;
          this.execution(executionArn).taskFailure = {
            error: failed.name,
            cause: JSON.stringify({ errorType: failed.name, errorMessage: failed.message }),
          };
          throw error;
        }
        throw new Error(`no binding for ${fn} (state ${state})`);
      };
    }
    return bindings;
  }

  /** A `.waitForTaskToken` state: invoke run-command with a fresh token, then wait for SendTask*. */
  async #runCommand(
    executionArn: string,
    payload: Record<string, unknown>,
    inChild: boolean,
  ): Promise<unknown> {
    this.#tokenSeq += 1;
    const taskToken = `token-${this.#tokenSeq}-${randomUUID()}`;
    const stateMachineArn = inChild ? CHILD_STATE_MACHINE_ARN : STATE_MACHINE_ARN;
    const completion = new Promise<unknown>((resolve, reject) =>
      this.#tokens.set(taskToken, { executionArn, stateMachineArn, resolve, reject }),
    );
    completion.catch(() => undefined);
    try {
      const out = await this.#invoke(this.handlers.runCommand({ ...payload, taskToken }, context));
      if (out.commandId !== null) {
        this.stepsSent.add(out.commandId);
        this.#release();
      }
    } catch (error) {
      this.#tokens.delete(taskToken);
      throw error;
    }
    return completion;
  }

  /**
   * What the state machine's role is asked for when a Task state runs: invoking the function and, inside
   * free's Distributed Map, starting and watching the child execution of the host (one per host item).
   */
  #recordInvoke(key: string, state: string, executionArn: string, payload: Record<string, unknown>): void {
    const principal: Principal = 'stateMachine';
    recordRequest({ principal, action: 'lambda:InvokeFunction', resource: functionArn(key), context: {} });
    if (!this.#childStates.has(state)) return;
    const host = JSON.stringify(payload.host ?? null);
    const execution = this.#executions.get(executionArn);
    if (!execution || execution.children.has(host)) return;
    const child = `${CHILD_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${randomUUID()}`;
    execution.children.set(host, child);
    recordRequest({ principal, action: 'states:StartExecution', resource: STATE_MACHINE_ARN, context: {} });
    recordRequest({ principal, action: 'states:DescribeExecution', resource: child, context: {} });
  }

  /** The reconciler's schedule fires: EventBridge invokes reconcile (as its rule target). */
  async runReconciler(): Promise<unknown> {
    this.#recordDelivery('reconcile', RULE_ARNS.reconcile);
    return this.handlers.reconcile({}, context);
  }

  /** Held invocations of a step answer now, as `behaviour` says (or with success and no output). */
  answerHeld(commandId: string): void {
    for (const command of this.sent.filter((c) => c.commandId === commandId)) {
      for (const [instanceId, invocation] of command.invocations) {
        if (invocation.status !== 'InProgress') continue;
        const { hold: _held, ...answer } = this.behaviour(command, instanceId);
        this.#finish(command, instanceId, invocation, answer);
      }
    }
  }

  /**
   * Runs every command not started yet whose run-command invocation has returned (SSM takes longer to
   * run a command than the function takes to record it): each instance answers as `behaviour` says, or is
   * held.
   */
  #release(): void {
    for (const command of this.sent) {
      if (command.started || !this.stepsSent.has(command.commandId)) continue;
      command.started = true;
      for (const [instanceId, invocation] of command.invocations) {
        const answer = this.behaviour(command, instanceId);
        if (!answer.hold) this.#finish(command, instanceId, invocation, answer);
      }
    }
  }

  /**
   * An invocation ends: SSM holds its output (a host keeps a copy of a long one, as the script makes it),
   * or, for a command with an output bucket, uploads it; then SSM announces it.
   */
  #finish(command: SentCommand, instanceId: string, invocation: Invocation, answer: Answer): void {
    const exitCode = answer.exitCode ?? 0;
    invocation.status = exitCode === 0 ? 'Success' : 'Failed';
    invocation.responseCode = exitCode;
    invocation.finishedAt = new Date();
    invocation.stdout = answer.stdout ?? '';
    invocation.stderr = answer.stderr ?? '';
    const long =
      Buffer.byteLength(invocation.stdout) >= KEEP_FROM_BYTES.stdout ||
      Buffer.byteLength(invocation.stderr) >= KEEP_FROM_BYTES.stderr;
    if (long && !command.input.OutputS3BucketName) {
      const dir = keptOutputDir(command.runId, command.commandId);
      this.keptOnHosts.set(`${instanceId} ${dir}`, { stdout: invocation.stdout, stderr: invocation.stderr });
    }
    if (command.input.OutputS3BucketName) {
      const prefix = `${command.input.OutputS3BucketName}/${outputKey(command, instanceId)}`;
      for (const [stream, body] of [
        ['stdout', invocation.stdout],
        ['stderr', invocation.stderr],
      ] as const) {
        if (!body) continue;
        this.objects.set(`${prefix}/${stream}`, body);
        this.#recordHostUpload(`${prefix}/${stream}`);
      }
    }
    this.#announce(command, instanceId, invocation.status);
  }

  /** A copy command (ssm-output-spill.ts): the host prints the copy it kept, at once; none fails it. */
  #runCopy(command: SentCommand): void {
    command.started = true;
    const [, runId = '', commandId = ''] = (command.input.Comment ?? '').split(' ');
    for (const [instanceId, invocation] of command.invocations) {
      const kept = this.keptOnHosts.get(`${instanceId} ${keptOutputDir(runId, commandId)}`);
      this.#finish(
        command,
        instanceId,
        invocation,
        kept ? { stdout: kept.stdout, stderr: kept.stderr } : { exitCode: 3, stderr: 'no kept output' },
      );
    }
  }

  /**
   * What the SSM agent asks with the host's instance role to upload an output: the bucket's encryption
   * (checked before every upload), the object, and its ACL (the agent sends `bucket-owner-full-control`).
   */
  #recordHostUpload(object: string): void {
    const principal: Principal = 'host';
    recordRequest({
      principal,
      action: 's3:GetEncryptionConfiguration',
      resource: `arn:aws:s3:::${BUCKET}`,
      context: {},
    });
    for (const action of ['s3:PutObject', 's3:PutObjectAcl'])
      recordRequest({ principal, action, resource: `arn:aws:s3:::${object}`, context: {} });
  }

  /** EventBridge delivering an event to a rule's Lambda target (the function's resource policy decides). */
  #recordDelivery(key: string, ruleArn: string): void {
    recordRequest({
      principal: 'events',
      action: 'lambda:InvokeFunction',
      resource: functionArn(key),
      context: { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT },
    });
  }

  /** The SSM status event of one invocation, delivered to on-invocation-status like a rule target. */
  #announce(command: SentCommand, instanceId: string, status: string): void {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'EC2 Command Invocation Status-change Notification',
      source: 'aws.ssm',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
      detail: {
        'command-id': command.ssmCommandId,
        'document-name': 'AWS-RunShellScript',
        'instance-id': instanceId,
        'requested-date-time': new Date().toISOString(),
        status,
      },
    };
    this.#recordDelivery('onInvocationStatus', RULE_ARNS.invocationStatus);
    this.#inBackground(this.handlers.onInvocationStatus(event, context));
  }

  /** A synchronous invocation by a Task state; tracked so `stop()` waits for it after aborting. */
  #invoke<T>(work: Promise<T>): Promise<T> {
    const tracked = work.catch(() => undefined);
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
    return work;
  }

  #inBackground(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      this.asyncErrors.push(error);
    });
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }

  #mockServices(): void {
    this.#mockSsm();
    this.#mockSfn();
    this.#mockEc2();
    this.#mockEventBridgeAndLogs();
    this.s3.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string; Range?: string }) => {
      const body = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (body === undefined) throw awsServiceError('NoSuchKey');
      const suffix = /^bytes=-(\d+)$/.exec(input.Range ?? '');
      const start = suffix ? Math.max(0, body.length - Number(suffix[1])) : 0;
      const text = body.slice(start);
      return {
        // S3OutputStore reads the body with transformToString, as the SDK's stream mixin provides it.
        Body: { transformToString: async () => text },
        ...(suffix ? { ContentRange: `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      };
    });
    this.s3
      .on(ListObjectsV2Command)
      .callsFake((input: { Bucket: string; Prefix?: string; MaxKeys?: number }) => {
        const keys = [...this.objects.keys()]
          .filter((k) => k.startsWith(`${input.Bucket}/${input.Prefix ?? ''}`))
          .map((k) => k.slice(input.Bucket.length + 1))
          .sort();
        // Pages of 2, to exercise the callers' paging.
        const page = keys.slice(0, Math.min(input.MaxKeys ?? 1000, 2));
        return {
          Contents: page.map((Key) => ({ Key })),
          IsTruncated: keys.length > page.length,
          KeyCount: page.length,
        };
      });
    this.s3
      .on(DeleteObjectsCommand)
      .callsFake((input: { Bucket: string; Delete: { Objects: { Key: string }[] } }) => {
        for (const { Key } of input.Delete.Objects) this.objects.delete(`${input.Bucket}/${Key}`);
        return { Errors: [] };
      });
    this.cloudformation.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
      if (input.StackName !== STACK_NAME)
        throw awsServiceError('ValidationError', `Stack with id ${input.StackName} does not exist`);
      return {
        Stacks: [
          {
            StackName: STACK_NAME,
            CreationTime: new Date(),
            StackStatus: 'UPDATE_COMPLETE',
            Outputs: (Object.entries(STACK_OUTPUT_KEYS) as [keyof StackOutputs, string][]).map(
              ([field, key]) => ({ OutputKey: key, OutputValue: this.outputs[field] }),
            ),
          },
        ],
      };
    });
  }

  #mockSsm(): void {
    this.ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
      const ids = input.InstanceIds ?? [];
      if (ids.length === 0 || ids.length > 50)
        throw awsServiceError('ValidationException', `${ids.length} instance ids`);
      const [, runId = '', commandId = ''] = (input.Comment ?? '').split(' ');
      const ssmCommandId = randomUUID();
      const now = new Date();
      const sent: SentCommand = {
        ssmCommandId,
        input,
        runId,
        commandId,
        phase: commandId.split('.')[1] ?? '',
        invocations: new Map(
          ids.map((id) => [
            id,
            { status: 'InProgress', responseCode: -1, startedAt: now } satisfies Invocation,
          ]),
        ),
        started: false,
      };
      this.sent.push(sent);
      if (input.OutputS3BucketName) this.#runCopy(sent);
      return {
        Command: { CommandId: ssmCommandId, Comment: input.Comment, InstanceIds: ids, Status: 'Pending' },
      };
    });
    this.ssm
      .on(ListCommandInvocationsCommand)
      .callsFake((input: { CommandId?: string; InstanceId?: string }) => {
        const command = this.#command(input.CommandId);
        const invocations = [...command.invocations].filter(
          ([id]) => !input.InstanceId || id === input.InstanceId,
        );
        return { CommandInvocations: invocations.map(([id, inv]) => invocationOf(command, id, inv)) };
      });
    this.ssm
      .on(GetCommandInvocationCommand)
      .callsFake((input: { CommandId?: string; InstanceId?: string }) => {
        const command = this.#command(input.CommandId);
        const invocation = command.invocations.get(input.InstanceId ?? '');
        if (!invocation) throw awsServiceError('InvocationDoesNotExist');
        return getCommandInvocationOf(command, input.InstanceId ?? '', invocation);
      });
    this.ssm.on(ListCommandsCommand).callsFake((input: { CommandId?: string }) => {
      const command = this.#command(input.CommandId);
      return {
        Commands: [
          {
            CommandId: command.ssmCommandId,
            Comment: command.input.Comment,
            InstanceIds: [...command.invocations.keys()],
            OutputS3KeyPrefix: command.input.OutputS3KeyPrefix,
          },
        ],
      };
    });
    this.ssm.on(CancelCommandCommand).callsFake((input: { CommandId?: string; InstanceIds?: string[] }) => {
      const command = this.#command(input.CommandId);
      for (const id of input.InstanceIds ?? [...command.invocations.keys()]) {
        const invocation = command.invocations.get(id);
        if (invocation?.status !== 'InProgress') continue;
        invocation.status = 'Cancelled';
        invocation.finishedAt = new Date();
        this.#announce(command, id, 'Cancelled');
      }
      return {};
    });
    this.ssm
      .on(DescribeInstanceInformationCommand)
      .callsFake((input: { Filters?: { Values?: string[] }[] }) => ({
        InstanceInformationList: (input.Filters?.[0]?.Values ?? [])
          .map((id) => this.#instances.get(id))
          .filter((i): i is FakeInstance => i !== undefined)
          .map((i) => ({
            InstanceId: i.id,
            PingStatus: i.ping ?? 'Online',
            AgentVersion: '3.3.1142.0',
            LastPingDateTime: new Date(),
          })),
      }));
  }

  #command(ssmCommandId: string | undefined): SentCommand {
    const command = this.sent.find((c) => c.ssmCommandId === ssmCommandId);
    if (!command) throw awsServiceError('InvalidCommandId');
    return command;
  }

  #mockSfn(): void {
    const settle = (taskToken: string | undefined) => {
      const deferred = this.#tokens.get(taskToken ?? '');
      if (!deferred) throw awsServiceError('TaskDoesNotExist', 'Task Timed Out or does not exist');
      this.#tokens.delete(taskToken ?? '');
      return deferred;
    };
    this.sfn.on(SendTaskSuccessCommand).callsFake((input: { taskToken?: string; output?: string }) => {
      settle(input.taskToken).resolve(JSON.parse(input.output ?? 'null'));
      return {};
    });
    this.sfn
      .on(SendTaskFailureCommand)
      .callsFake((input: { taskToken?: string; error?: string; cause?: string }) => {
        settle(input.taskToken).reject(
          awsServiceError(input.error ?? 'States.TaskFailed', input.cause ?? ''),
        );
        return {};
      });
    this.sfn
      .on(StartExecutionCommand)
      .callsFake((input: { stateMachineArn?: string; name?: string; input?: string }) => {
        if (input.stateMachineArn !== STATE_MACHINE_ARN) throw awsServiceError('StateMachineDoesNotExist');
        const executionArn = this.startExecution(JSON.parse(input.input ?? '{}'), input.name);
        return { executionArn, startDate: new Date() };
      });
    const existing = (arn: string | undefined) => {
      const execution = this.#executions.get(arn ?? '');
      if (!execution) throw awsServiceError('ExecutionDoesNotExist');
      return execution;
    };
    this.sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn?: string }) => {
      const execution = existing(input.executionArn);
      return {
        executionArn: execution.arn,
        stateMachineArn: STATE_MACHINE_ARN,
        status: execution.status,
        startDate: new Date(),
        ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
      };
    });
    this.sfn.on(StopExecutionCommand).callsFake((input: { executionArn?: string }) => {
      const execution = existing(input.executionArn);
      if (execution.status === 'RUNNING') {
        execution.abort();
        // A stopped execution's tokens are gone: SendTask* on them is TaskDoesNotExist.
        for (const [token, deferred] of this.#tokens)
          if (deferred.executionArn === execution.arn) this.#tokens.delete(token);
      }
      return { stopDate: new Date() };
    });
    this.sfn.on(GetExecutionHistoryCommand).callsFake((input: { executionArn?: string }) => {
      const execution = existing(input.executionArn);
      return {
        events: execution.taskFailure
          ? [
              {
                id: 2,
                timestamp: new Date(),
                type: 'TaskFailed',
                taskFailedEventDetails: {
                  resourceType: 'lambda',
                  resource: 'invoke',
                  ...execution.taskFailure,
                },
              },
            ]
          : [],
      };
    });
  }

  #mockEc2(): void {
    this.ec2
      .on(DescribeInstancesCommand)
      .callsFake((input: { InstanceIds?: string[]; Filters?: { Name?: string; Values?: string[] }[] }) => {
        let instances = [...this.#instances.values()];
        if (input.InstanceIds) {
          const unknown = input.InstanceIds.find((id) => !this.#instances.has(id));
          if (unknown)
            throw awsServiceError(
              'InvalidInstanceID.NotFound',
              `The instance ID '${unknown}' does not exist`,
            );
          instances = instances.filter((i) => input.InstanceIds?.includes(i.id));
        }
        for (const filter of input.Filters ?? []) {
          const values = filter.Values ?? [];
          if (filter.Name === 'instance-state-name')
            instances = instances.filter((i) => values.includes(i.state ?? 'running'));
          else if (filter.Name?.startsWith('tag:')) {
            const key = filter.Name.slice(4);
            instances = instances.filter((i) => values.includes(tagsOf(i)[key] ?? ''));
          }
        }
        return { Reservations: [{ Instances: instances.map(ec2Instance) }] };
      });
  }

  #mockEventBridgeAndLogs(): void {
    this.eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
      const entries = input.Entries ?? [];
      if (entries.length > 10) throw awsServiceError('ValidationException', `${entries.length} entries`);
      for (const entry of entries) this.#route(entry);
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    });
    this.logs
      .on(FilterLogEventsCommand)
      .callsFake(
        (input: {
          logGroupName?: string;
          filterPattern?: string;
          startTime?: number;
          nextToken?: string;
        }) => {
          if (input.logGroupName !== EVENT_LOG_GROUP) throw awsServiceError('ResourceNotFoundException');
          const runId = /^\{ \$\.detail\.data\.runId = "([^"]+)" \}$/.exec(input.filterPattern ?? '')?.[1];
          const matching = this.#logLines.filter(
            (l) =>
              l.timestamp >= (input.startTime ?? 0) &&
              (runId === undefined ||
                (JSON.parse(l.message) as { detail: { data: { runId?: string } } }).detail.data.runId ===
                  runId),
          );
          // Pages of 25, to exercise the callers' pagination.
          const from = Number(input.nextToken ?? 0);
          const page = matching.slice(from, from + 25);
          return {
            events: page.map((l, i) => ({
              ...l,
              eventId: String(from + i),
              logStreamName: 'stream',
              ingestionTime: l.timestamp,
            })),
            ...(from + 25 < matching.length ? { nextToken: String(from + 25) } : {}),
          };
        },
      );
  }

  /** What the stack's rules do with an event put on the bus. */
  #route(entry: PutEventsRequestEntry): void {
    const envelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: ACCOUNT,
      time: (entry.Time ?? new Date()).toISOString(),
      region: REGION,
      resources: [],
      detail: JSON.parse(entry.Detail ?? '{}') as unknown,
    };
    if (entry.Source === 'dev.fleetbench') {
      this.#recordLogDelivery();
      this.#logLines.push({
        timestamp: (entry.Time ?? new Date()).getTime(),
        message: JSON.stringify(envelope),
      });
    } else if (entry.Source === 'dev.fleetbench.cli' && entry.DetailType === 'Stop Requested') {
      this.#recordDelivery('stopRun', RULE_ARNS.stopRequested);
      this.#inBackground(this.handlers.stopRun(envelope, context));
    }
  }

  /**
   * EventBridge writing a run event into the log group: it creates its log stream, then puts the event,
   * both as events.amazonaws.com under the group's resource policy. Only PutLogEvents carries the rule's
   * ARN as aws:SourceArn; CreateLogStream carries no source ARN (AWS's documented policy for this
   * target grants it without that condition).
   */
  #recordLogDelivery(): void {
    const stream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${EVENT_LOG_GROUP}:log-stream:${randomUUID()}`;
    const principal: Principal = 'events';
    recordRequest({
      principal,
      action: 'logs:CreateLogStream',
      resource: stream,
      context: { 'aws:SourceAccount': ACCOUNT },
    });
    recordRequest({
      principal,
      action: 'logs:PutLogEvents',
      resource: stream,
      context: { 'aws:SourceArn': RULE_ARNS.runEventsToLogs, 'aws:SourceAccount': ACCOUNT },
    });
  }
}

/** A handler whose AWS requests are recorded as its function's (its key in FUNCTIONS). */
function asFunction<E, R>(key: string, handler: (event: E, ctx: typeof context) => Promise<R>) {
  return (event: E, ctx: typeof context): Promise<R> =>
    asPrincipal(`function:${key}`, () => handler(event, ctx));
}

function createHandlers(runtime: () => AwsRuntime) {
  return {
    planRun: asFunction('planRun', lambda(createPlanRunHandler(runtime))),
    runCommand: asFunction('runCommand', lambda(createRunCommandHandler(runtime))),
    finalizeRun: asFunction('finalizeRun', lambda(createFinalizeRunHandler(runtime))),
    onInvocationStatus: asFunction('onInvocationStatus', lambda(createOnInvocationStatusHandler(runtime))),
    stopRun: asFunction('stopRun', lambda(createStopRunHandler(runtime))),
    reconcile: asFunction('reconcile', lambda(createReconcileHandler(runtime))),
  };
}

/** Task state names inside a DISTRIBUTED Map's ItemProcessor (at any depth below it). */
function distributedMapStates(definition: ReturnType<typeof loadRunDefinition>): Set<string> {
  type Node = {
    States: Record<
      string,
      { ItemProcessor?: Node & { ProcessorConfig?: { Mode?: string } }; Iterator?: Node }
    >;
  };
  const found = new Set<string>();
  const walk = (node: Node, inside: boolean) => {
    for (const [name, state] of Object.entries(node.States)) {
      if (inside) found.add(name);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) walk(inner, inside || state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED');
    }
  };
  walk(definition as unknown as Node, false);
  return found;
}

/** Where SSM puts an invocation's output: `<prefix>/<CommandId>/<InstanceId>/awsrunShellScript/0.awsrunShellScript`. */
function outputKey(command: SentCommand, instanceId: string): string {
  return `${command.input.OutputS3KeyPrefix}/${command.ssmCommandId}/${instanceId}/awsrunShellScript/0.awsrunShellScript`;
}

/** Path-style output URLs as SSM gives them, for an ended invocation of a command with an output bucket. */
function outputUrls(command: SentCommand, instanceId: string, invocation: Invocation) {
  const bucket = command.input.OutputS3BucketName;
  if (!bucket || invocation.status === 'InProgress') return {};
  const url = `https://s3.${REGION}.amazonaws.com/${bucket}/${outputKey(command, instanceId)}`;
  return { StandardOutputUrl: `${url}/stdout`, StandardErrorUrl: `${url}/stderr` };
}

/** GetCommandInvocation: the output itself, as far as SSM returns it. */
function getCommandInvocationOf(command: SentCommand, instanceId: string, invocation: Invocation) {
  return {
    CommandId: command.ssmCommandId,
    InstanceId: instanceId,
    Comment: command.input.Comment,
    DocumentName: 'AWS-RunShellScript',
    PluginName: 'aws:runShellScript',
    ResponseCode: invocation.responseCode,
    ExecutionStartDateTime: invocation.startedAt.toISOString(),
    ExecutionEndDateTime: invocation.finishedAt?.toISOString() ?? '',
    Status: invocation.status,
    StatusDetails: invocation.status,
    StandardOutputContent: (invocation.stdout ?? '').slice(0, SSM_INLINE_LIMITS.stdout),
    StandardErrorContent: (invocation.stderr ?? '').slice(0, SSM_INLINE_LIMITS.stderr),
    ...outputUrls(command, instanceId, invocation),
  };
}

/** ListCommandInvocations (Details=true) for one invocation. */
function invocationOf(command: SentCommand, instanceId: string, invocation: Invocation): CommandInvocation {
  const urls = outputUrls(command, instanceId, invocation);
  const bucket = command.input.OutputS3BucketName;
  return {
    CommandId: command.ssmCommandId,
    InstanceId: instanceId,
    Comment: command.input.Comment,
    DocumentName: 'AWS-RunShellScript',
    Status: invocation.status,
    StatusDetails: invocation.status,
    RequestedDateTime: invocation.startedAt,
    ...urls,
    CommandPlugins: [
      {
        Name: 'aws:runShellScript',
        Status: invocation.status,
        StatusDetails: invocation.status,
        ResponseCode: invocation.responseCode,
        ResponseStartDateTime: invocation.startedAt,
        ...(invocation.finishedAt ? { ResponseFinishDateTime: invocation.finishedAt } : {}),
        ...(bucket
          ? {
              OutputS3BucketName: bucket,
              OutputS3KeyPrefix: `${command.input.OutputS3KeyPrefix}/${command.ssmCommandId}/${instanceId}/awsrunShellScript`,
            }
          : {}),
        ...urls,
      },
    ],
  };
}

function tagsOf(instance: FakeInstance): Record<string, string> {
  return { fleetbench: 'true', ...(instance.name ? { Name: instance.name } : {}), ...instance.tags };
}

function ec2Instance(instance: FakeInstance): Instance {
  return {
    InstanceId: instance.id,
    State: { Name: instance.state ?? 'running' },
    PrivateIpAddress: '10.0.0.1',
    Tags: Object.entries(tagsOf(instance)).map(([Key, Value]) => ({ Key, Value })),
  };
}

/**
 * `count` running, tagged, Online instances named perf-001…, with the tag team=perf.
 * @example
 * fleet(120); // [{ id: 'i-0000000000000001', name: 'perf-001', tags: { team: 'perf' } }, …]
 */
export function fleet(count: number): FakeInstance[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `i-${(i + 1).toString(16).padStart(17, '0')}`,
    name: `perf-${String(i + 1).padStart(3, '0')}`,
    tags: { team: 'perf' },
  }));
}
