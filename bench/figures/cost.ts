/**
 * Figure 3 — projected AWS cost per 1,000 host-tasks: lib/core/projection/cost.ts counts what a run bills
 * (state transitions, Lambda requests and GB-seconds, DynamoDB request units from the request model,
 * PutEvents entries, S3 requests, logs, traces) and prices it. The DynamoDB count, the one that dominates,
 * is checked against a real run of the use cases on dynalite (bench/lib/aws-path.ts).
 */
import { dynamoRequests } from '../../lib/adapters/dynamodb/request-model.js';
import { projectCost, projectUsage } from '../../lib/core/projection/cost.js';
import { COST_ASSUMPTIONS } from '../../lib/core/projection/cost-assumptions.js';
import { AWS_PRICES } from '../../lib/core/projection/prices.js';
import type { RunShape } from '../../lib/core/projection/run-shape.js';
import { awsPathRun } from '../lib/aws-path.js';
import { type FigureResult, measured } from '../lib/report.js';
import { round } from '../lib/stats.js';

const TARGET = { comparator: '<=', value: 0.02, unit: '$' } as const;

function shapeOf(hosts: number, workloads: number, reps: number): RunShape & { hosts: number } {
  return {
    hosts,
    globalSetup: 0,
    globalTeardown: 0,
    workloads: Array.from({ length: workloads }, () => ({ reps, setup: 0, teardown: 0 })),
  };
}

export async function costFigure(
  options: { measuredHosts: number },
  log: (line: string) => void,
): Promise<FigureResult> {
  const shape = shapeOf(1000, 10, 5);
  const cost = projectCost(shape, dynamoRequests);
  const free = projectCost(shape, dynamoRequests, 'free');
  const u = cost.usage;
  const per = (n: number) => n / u.hostTasks;
  const lambdaInvocations = Object.values(u.lambda.invocations).reduce((n, x) => n + x, 0);

  // The model against a real run of the use cases, at a shape that runs in seconds to a minute.
  const m = options.measuredHosts;
  const run = await awsPathRun(m, 1, 2);
  log(`  aws path on dynalite, ${m} hosts × 1 workload × 2 reps: ${run.wallMs.toFixed(0)} ms`);
  const measuredShape = shapeOf(m, 1, 2);
  // The local task tokens are 42 bytes; Step Functions' are longer (COST_ASSUMPTIONS).
  const model = dynamoRequests(measuredShape, 'lockstep', { ...COST_ASSUMPTIONS.itemBytes, taskToken: 42 });
  const modelReads = model.reduce((n, r) => n + r.readUnits, 0);
  const modelWrites = model.reduce((n, r) => n + r.writeUnits, 0);
  const modelUsage = projectUsage(measuredShape, dynamoRequests);
  const measuredInvocations = Object.values(run.lambdaInvocations).reduce((n, x) => n + x, 0);
  const modelInvocations = Object.values(modelUsage.lambda.invocations).reduce((n, x) => n + x, 0);

  const scaling = [10, 100, 1000].map((hosts) => ({
    hosts,
    usdPerThousandHostTasks: projectCost(shapeOf(hosts, 10, 5), dynamoRequests).usdPerThousandHostTasks,
  }));
  const dynamoRows = dynamoRequests(shape)
    .map((r) => ({
      ...r,
      usd:
        (r.writeUnits + r.indexWriteUnits) * AWS_PRICES.items.dynamoWrite.usd +
        r.readUnits * AWS_PRICES.items.dynamoRead.usd,
    }))
    .sort((a, b) => b.usd - a.usd);

  return {
    id: 'cost',
    title: 'Projected AWS cost',
    method:
      'projectCost (lib/core/projection/cost.ts) for 1,000 hosts × 10 workloads × 5 repetitions, lockstep, happy path: ' +
      'counted requests × us-east-1 list prices of ' +
      `${AWS_PRICES.readOn}, EC2 time excluded. Its DynamoDB count is checked against the real use cases on ` +
      `dynalite (ReturnConsumedCapacity) at ${m} hosts × 1 workload × 2 repetitions.`,
    measurements: [
      measured('$ per 1,000 host-tasks (1,000 hosts × 10 × 5)', cost.usdPerThousandHostTasks, '$', TARGET),
      measured('$ per run (50,000 host-tasks)', cost.totalUsd, '$'),
      measured(
        'free: $ per 1,000 host-tasks (1,000 hosts × 10 × 5)',
        free.usdPerThousandHostTasks,
        '$',
        TARGET,
        `$${free.totalUsd.toFixed(2)} a run; state transitions of the 1,000 host executions $${(free.lines.find((l) => l.price === 'stateTransition')?.usd ?? 0).toFixed(2)}; each host's workload steps are one-host commands`,
      ),
      ...scaling
        .filter((s) => s.hosts !== 1000)
        .map((s) =>
          measured(
            `$ per 1,000 host-tasks at ${s.hosts} hosts × 10 × 5`,
            s.usdPerThousandHostTasks,
            '$',
            TARGET,
          ),
        ),
      measured('state transitions per host-task', per(u.stateTransitions), 'transitions'),
      measured('Lambda invocations per host-task', per(lambdaInvocations), 'invocations'),
      measured('Lambda GB-seconds per host-task (assumed durations)', per(u.lambda.gbSeconds), 'GB-s'),
      measured('DynamoDB write units per host-task (incl. catalog index)', per(u.dynamo.writeUnits), 'WRU'),
      measured('DynamoDB read units per host-task', per(u.dynamo.readUnits), 'RRU'),
      measured('PutEvents entries per host-task', per(u.putEventsEntries), 'entries'),
      measured('S3 PUTs per host-task (SSM output upload)', per(u.s3Puts), 'PUTs'),
      measured(`dynalite ÷ model, write units (${m} hosts)`, run.dynamo.writeUnits / modelWrites, '×'),
      measured(`dynalite ÷ model, read units (${m} hosts)`, run.dynamo.readUnits / modelReads, '×'),
      measured(
        `measured ÷ model, Lambda invocations (${m} hosts)`,
        measuredInvocations / modelInvocations,
        '×',
      ),
    ],
    details: {
      shape: { hosts: 1000, workloads: 10, reps: 5, hostTasks: u.hostTasks },
      prices: AWS_PRICES,
      assumptions: COST_ASSUMPTIONS,
      lines: cost.lines.map((l) => ({
        service: l.service,
        quantity: round(l.quantity, 4),
        unit: AWS_PRICES.items[l.price].unit,
        usd: round(l.usd, 6),
        usdPerThousandHostTasks: round((l.usd / u.hostTasks) * 1000, 6),
      })),
      excluded: cost.excluded,
      usage: u,
      scaling,
      dynamoByRequest: dynamoRows.slice(0, 12).map((r) => ({
        useCase: r.useCase,
        request: r.request,
        calls: r.calls,
        readUnits: r.readUnits,
        writeUnits: r.writeUnits + r.indexWriteUnits,
        usd: round(r.usd, 4),
      })),
      measuredRun: {
        hosts: m,
        workloads: 1,
        reps: 2,
        state: run.final.state,
        counts: run.final.counts,
        wallMs: round(run.wallMs, 0),
        lambdaInvocations: run.lambdaInvocations,
        modelLambdaInvocations: modelUsage.lambda.invocations,
        dynamo: run.dynamo,
        model: {
          readUnits: modelReads,
          writeUnits: modelWrites,
          requests: model.reduce((n, r) => n + r.calls, 0),
        },
        putEventsEntries: run.putEventsEntries,
        modelPutEventsEntries: modelUsage.putEventsEntries,
        s3Gets: run.s3Gets,
        modelS3Gets: modelUsage.s3Gets,
        ssmCommands: run.ssmCommands,
        sendTaskCallbacks: run.sendTaskCallbacks,
        itemBytes: run.itemBytes,
      },
    },
  };
}
