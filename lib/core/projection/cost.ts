/**
 * What a run costs on aws, projected from the plan alone, so `validate` can print it and the bench can
 * check it against measurements: every billed request a run makes — state transitions, Lambda invocations
 * and GB-seconds, DynamoDB request units, PutEvents entries, S3 requests, logs, traces — times the list
 * prices of prices.ts. The DynamoDB requests are the repositories' knowledge, so their model is passed in
 * (lib/adapters/dynamodb/request-model.ts, beside the repositories it counts). Pure: no I/O; counts are for
 * the happy path of a first attempt (no failure, stop or resume).
 */
import type { Plan } from '../plan.js';
import { COST_ASSUMPTIONS } from './cost-assumptions.js';
import { projectHistory } from './history-projection.js';
import { AWS_PRICES, type PriceKey } from './prices.js';
import { type RunShape, runCommandSteps } from './run-shape.js';

/** DynamoDB request units of one kind of request, summed over a run. */
export type DynamoRequest = {
  readonly useCase: string;
  readonly request: string;
  readonly calls: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Write units of the catalog's `byCreatedAt` index (projection ALL: every catalog write is written twice). */
  readonly indexWriteUnits: number;
};

/**
 * The DynamoDB requests of a run of this shape and strategy (the request model beside the repositories).
 * @example
 * projectCost(shape, dynamoRequests, 'free');
 */
export type RequestModel = (
  shape: RunShape & { readonly hosts: number },
  strategy: Plan['strategy'],
) => readonly DynamoRequest[];

/** Billed quantities of a run, before prices. */
export type RunUsage = {
  readonly hostTasks: number;
  readonly stateTransitions: number;
  readonly historyEvents: number;
  readonly lambda: {
    readonly invocations: Readonly<Record<string, number>>;
    readonly gbSeconds: number;
  };
  readonly dynamo: { readonly readUnits: number; readonly writeUnits: number; readonly requests: number };
  readonly putEventsEntries: number;
  readonly ssmInvocations: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  readonly logBytes: number;
  readonly xrayTraces: number;
};

/**
 * Counts what a run bills (happy path, first attempt). The strategy sets the state transitions and history
 * (free: every host's child execution); every other line is lockstep's request model.
 */
export function projectUsage(
  shape: RunShape & { readonly hosts: number },
  requests: RequestModel,
  strategy: Plan['strategy'] = 'lockstep',
): RunUsage {
  const a = COST_ASSUMPTIONS;
  const H = shape.hosts;
  const history = projectHistory(shape, strategy);
  if (!history.implemented) throw new Error(history.reason);
  const all = runCommandSteps(shape);
  const repetitions = all.filter((s) => s.phase === 'repetition').length;
  const hostTasks = H * repetitions;
  // In free a workload's steps are each host's own one-host command; global setup and teardown stay fleet-wide.
  const commands = all.map((step) => {
    const perHost = strategy === 'free' && step.phase !== 'globalSetup' && step.phase !== 'globalTeardown';
    const n = perHost ? 1 : H;
    return { step, count: perHost ? H : 1, hosts: n, batches: Math.ceil(n / a.ssmBatchSize) };
  });
  const sent = commands.filter((c) => c.step.sends);
  const sum = (list: typeof commands, f: (c: (typeof commands)[number]) => number) =>
    list.reduce((n, c) => n + c.count * f(c), 0);
  const invocations = {
    'plan-run': 1,
    'run-command': sum(commands, () => 1),
    // one per-instance event per host and one per-command event per batch, for every command sent
    'on-invocation-status': sum(sent, (c) => c.hosts + c.batches),
    'finalize-run': 1,
  };
  const copies = sum(sent, (c) => c.hosts) * a.copiedOutputShare;
  const ms =
    copies * a.lambdaMs.outputCopy +
    a.lambdaMs.planRunBase +
    a.lambdaMs.planRunPerTask * hostTasks +
    sum(commands, () => a.lambdaMs.runCommandBase) +
    sum(sent, (c) => a.lambdaMs.runCommandPerBatch * c.batches + a.lambdaMs.runCommandPerHost * c.hosts) +
    sum(sent, (c) => c.hosts * a.lambdaMs.onInvocationStatus + c.batches * a.lambdaMs.onCommandStatus) +
    a.lambdaMs.finalizeRunBase +
    a.lambdaMs.finalizeRunPerTask * hostTasks;
  const dynamo = requests(shape, strategy);
  const invocationCount = Object.values(invocations).reduce((n, x) => n + x, 0);
  // run.started, 4 state changes (3 phases + the final state), task.completed per task, run.finished
  const putEventsEntries = 1 + 4 + hostTasks + 1;
  return {
    hostTasks,
    stateTransitions: history.total.stateTransitions,
    historyEvents: history.total.historyEvents,
    lambda: { invocations, gbSeconds: (a.lambdaMemoryMb / 1024) * (ms / 1000) },
    dynamo: {
      readUnits: dynamo.reduce((n, r) => n + r.readUnits, 0),
      writeUnits: dynamo.reduce((n, r) => n + r.writeUnits + r.indexWriteUnits, 0),
      requests: dynamo.reduce((n, r) => n + r.calls, 0),
    },
    putEventsEntries,
    // A copied output is one more SSM invocation (free), its two uploads, and its two reads.
    ssmInvocations: sum(sent, (c) => c.hosts) + copies,
    s3Puts: copies * a.s3PutsPerCopiedOutput,
    s3Gets: copies * a.s3GetsPerCopiedOutput,
    logBytes:
      invocationCount * a.logBytesPerInvocation + history.total.historyEvents * a.logBytesPerHistoryEvent,
    xrayTraces: Math.ceil(invocationCount * a.xraySampledFraction) + 1,
  };
}

export type CostLine = {
  readonly service: string;
  readonly quantity: number;
  readonly price: PriceKey;
  readonly usd: number;
};

export type CostProjection = {
  readonly usage: RunUsage;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly usdPerThousandHostTasks: number;
  /** Not in the total: EC2 time (the hosts are yours), storage, monthly fixed costs, free tiers. */
  readonly excluded: readonly string[];
};

const COST_EXCLUSIONS: readonly string[] = [
  'EC2 instance time (the hosts run the benchmark, whatever orchestrates it)',
  'storage (DynamoDB, S3, CloudWatch Logs retention) and data transfer',
  'monthly fixed costs: the reconcile schedule (8,640 invocations a month), CloudWatch custom metrics and dashboard',
  'free tiers',
];

/**
 * The cost of a run at list prices.
 * @example
 * const cost = projectCost({ hosts: 1000, globalSetup: 0, globalTeardown: 0, workloads: [{ reps: 5, setup: 0, teardown: 0 }] }, dynamoRequests);
 * cost.usdPerThousandHostTasks; // dollars per 1,000 host-tasks
 */
export function projectCost(
  shape: RunShape & { readonly hosts: number },
  requests: RequestModel,
  strategy: Plan['strategy'] = 'lockstep',
): CostProjection {
  const usage = projectUsage(shape, requests, strategy);
  const p = AWS_PRICES.items;
  const line = (service: string, quantity: number, price: PriceKey): CostLine => ({
    service,
    quantity,
    price,
    usd: quantity * p[price].usd,
  });
  const lambdaInvocations = Object.values(usage.lambda.invocations).reduce((n, x) => n + x, 0);
  const lines = [
    line('Step Functions state transitions', usage.stateTransitions, 'stateTransition'),
    line('Lambda requests', lambdaInvocations, 'lambdaRequest'),
    line('Lambda duration', usage.lambda.gbSeconds, 'lambdaGbSecond'),
    line('DynamoDB writes', usage.dynamo.writeUnits, 'dynamoWrite'),
    line('DynamoDB reads', usage.dynamo.readUnits, 'dynamoRead'),
    line('EventBridge PutEvents entries', usage.putEventsEntries, 'eventBridgeEvent'),
    line('S3 PUT (outputs too long for SSM, copied)', usage.s3Puts, 's3Put'),
    line('S3 GET (copied outputs parsed)', usage.s3Gets, 's3Get'),
    line('CloudWatch Logs ingestion', usage.logBytes / 1024 ** 3, 'logsGb'),
    line('X-Ray traces', usage.xrayTraces, 'xrayTrace'),
    line('SSM Run Command invocations', usage.ssmInvocations, 'ssmRunCommand'),
  ];
  const totalUsd = lines.reduce((n, l) => n + l.usd, 0);
  return {
    usage,
    lines,
    totalUsd,
    usdPerThousandHostTasks: usage.hostTasks === 0 ? 0 : (totalUsd / usage.hostTasks) * 1000,
    excluded: COST_EXCLUSIONS,
  };
}
