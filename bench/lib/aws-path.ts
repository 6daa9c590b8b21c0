/**
 * The aws path of a run without aws: the real use cases (plan-run, run-command, on-invocation-status,
 * finalize-run) driven by run.asl.json in aws-local-stepfunctions, with the real DynamoDB repositories on an
 * in-memory dynalite, and fakes only for what AWS services do: SSM (one command per 50 hosts, every host
 * answers Success at once, one status event per host and one per command, the output in the invocation),
 * EventBridge (entries counted), EC2 (hosts resolved from instance ids). The outputs are kept as the aws
 * OutputStore keeps an output SSM returned whole: in the journal, by the real JournalOutputs. Every DynamoDB request asks for
 * ReturnConsumedCapacity, so dynalite reports the read and write units DynamoDB would bill (the catalog's
 * index writes excepted: dynalite does not count them).
 */
import '../../lib/adapters/local/polyfills.js';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import { DynamoCatalogRepo } from '../../lib/adapters/dynamodb/catalog-repo.js';
import { JournalOutputs } from '../../lib/adapters/dynamodb/journal-outputs.js';
import { DynamoJournalRepo } from '../../lib/adapters/dynamodb/journal-repo.js';
import { ensureTables } from '../../lib/adapters/dynamodb/tables.js';
import {
  createLocalClients,
  LOCAL_TABLES,
  startDynalite,
} from '../../lib/adapters/local/embedded-dynalite.js';
import { LocalTaskCallbacks } from '../../lib/adapters/local/local-task-callbacks.js';
import { loadRunDefinition, taskFunctions } from '../../lib/adapters/local/workflow-definition.js';
import { systemClock } from '../../lib/adapters/system-clock.js';
import { finalizeRun } from '../../lib/app/finalize-run.js';
import { onInvocationStatus } from '../../lib/app/on-invocation-status.js';
import { planRun } from '../../lib/app/plan-run.js';
import { type RunCommandInput, runCommand } from '../../lib/app/run-command.js';
import type { Deps } from '../../lib/core/ports.js';
import { COST_ASSUMPTIONS } from '../../lib/core/projection/cost-assumptions.js';
import type { CatalogEntry } from '../../lib/core/run.js';

const SSM_BATCH = 50;
const STDOUT = '{"ops_per_s": 1234.5, "latency_ms": 0.8}\n';
const dynaliteDb = createRequire(createRequire(import.meta.url).resolve('dynalite'))('./db/index.js') as {
  itemSize(item: Record<string, unknown>): number;
};

export type AwsPathUsage = {
  readonly hostTasks: number;
  readonly final: CatalogEntry;
  readonly wallMs: number;
  readonly lambdaInvocations: Record<string, number>;
  /** Table read and write units as dynalite counts them, and requests, by operation. */
  readonly dynamo: {
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly requests: number;
    readonly byOperation: Record<string, { requests: number; readUnits: number; writeUnits: number }>;
  };
  readonly putEventsEntries: number;
  readonly s3Gets: number;
  readonly ssmCommands: number;
  readonly sendTaskCallbacks: number;
  /** DynamoDB sizes (bytes) of the items the run left, to check the projection's item sizes. */
  readonly itemBytes: Record<string, number>;
};

type Capacity = { CapacityUnits?: number };

export async function awsPathRun(
  hosts: number,
  workloads: number,
  reps: number,
  options: { dbPath?: string } = {},
): Promise<AwsPathUsage> {
  const server = await startDynalite(options.dbPath === undefined ? {} : { path: options.dbPath });
  const { client, doc } = createLocalClients(server.endpoint, { requestHandler: server.inProcess });
  try {
    await ensureTables(client, LOCAL_TABLES);
    const byOperation: AwsPathUsage['dynamo']['byOperation'] = {};
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'TOTAL';
        const out = await next(args);
        const name = String(context.commandName ?? '').replace(/Command$/, '');
        const consumed = (out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        const units = [consumed ?? []].flat().reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
        const read = ['GetItem', 'Query', 'Scan', 'BatchGetItem'].includes(name);
        const entry = byOperation[name] ?? { requests: 0, readUnits: 0, writeUnits: 0 };
        entry.requests += 1;
        if (read) entry.readUnits += units;
        else entry.writeUnits += units;
        byOperation[name] = entry;
        return out;
      },
      { step: 'initialize', name: 'benchConsumedCapacity' },
    );

    const invocations: Record<string, number> = {
      'plan-run': 0,
      'run-command': 0,
      'on-invocation-status': 0,
      'finalize-run': 0,
    };
    let putEventsEntries = 0;
    const kept = new JournalOutputs({ client: doc, tableName: LOCAL_TABLES.journal });
    let s3Gets = 0;
    let ssmCommands = 0;
    let sendTaskCallbacks = 0;
    const tokens = new LocalTaskCallbacks();
    const callbacks: Deps['callbacks'] = {
      success: async (token, output) => {
        sendTaskCallbacks += 1;
        await tokens.success(token, output);
      },
      failure: async (token, error, cause) => {
        sendTaskCallbacks += 1;
        await tokens.failure(token, error, cause);
      },
    };
    const failures: unknown[] = [];
    const deps: Deps = {
      journal: new DynamoJournalRepo({ client: doc, tableName: LOCAL_TABLES.journal }),
      catalog: new DynamoCatalogRepo({ client: doc, tableName: LOCAL_TABLES.catalog }),
      runner: {
        send: async (request) => {
          const batches = Math.ceil(request.hosts.length / SSM_BATCH);
          ssmCommands += batches;
          const providerIds = Array.from({ length: batches }, () => randomUUID());
          // SSM's status events arrive after SendCommand returned: one per instance, then one per command.
          setImmediate(() => {
            void (async () => {
              for (const [i, host] of request.hosts.entries()) {
                invocations['on-invocation-status'] = (invocations['on-invocation-status'] ?? 0) + 1;
                const at = new Date().toISOString();
                // The handler first checks the SSM command is fleetbench's (one journal read).
                await inContainer(i).journal.findCommandByProviderId(
                  providerIds[Math.floor(i / SSM_BATCH)] ?? '',
                );
                await onInvocationStatus(inContainer(i), {
                  runId: request.runId,
                  commandId: request.commandId,
                  hostId: host.id,
                  status: 'Success',
                  exitCode: 0,
                  startedAt: at,
                  finishedAt: at,
                  stdoutRef: `ssm:${providerIds[Math.floor(i / SSM_BATCH)]}/${host.id}/stdout`,
                  stderrRef: `ssm:${providerIds[Math.floor(i / SSM_BATCH)]}/${host.id}/stderr`,
                });
              }
              for (let b = 0; b < batches; b += 1) {
                invocations['on-invocation-status'] = (invocations['on-invocation-status'] ?? 0) + 1;
                await inContainer(b).journal.findCommandByProviderId(providerIds[b] ?? '');
                await inContainer(b).journal.getCommand(request.runId, request.commandId);
              }
            })().catch((error: unknown) => failures.push(error));
          });
          return { providerIds };
        },
        cancel: async () => undefined,
      },
      outputs: {
        // What SSM returns of each invocation: the JSON line of a shell benchmark, no stderr.
        read: async (ref) => {
          if (ref.startsWith('s3://')) s3Gets += 1;
          return ref.endsWith('stdout') ? STDOUT : '';
        },
        keep: (result) =>
          kept.put(result, { stdout: result.stdoutRef?.startsWith('ssm:') ? STDOUT : '', stderr: '' }),
      },
      hosts: {
        resolve: async (_runId, spec) =>
          'instanceIds' in spec
            ? spec.instanceIds.map((id, i) => ({ id, name: id, address: `10.0.${i >> 8}.${i & 255}` }))
            : [],
        checkConnectivity: async (list) => ({ reachable: [...list], unreachable: [] }),
      },
      callbacks,
      events: {
        publish: async (events) => {
          putEventsEntries += events.length;
        },
      },
      clock: systemClock,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      target: 'aws',
    };

    // The status events are spread over warm Lambda containers, each with its own journal (and its caches).
    const containers = Array.from({ length: COST_ASSUMPTIONS.statusContainers }, () => ({
      ...deps,
      journal: new DynamoJournalRepo({ client: doc, tableName: LOCAL_TABLES.journal }),
    }));
    const inContainer = (i: number): Deps => containers[i % containers.length] ?? deps;

    const plan = {
      name: 'bench-aws-path',
      hosts: {
        instanceIds: Array.from({ length: hosts }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`),
      },
      repetitions: reps,
      workloads: Array.from({ length: workloads }, (_, w) => ({
        name: `w${w + 1}`,
        plugin: 'shell',
        options: { command: 'my-bench --json' },
      })),
    };
    const definition = loadRunDefinition();
    const handlers: Record<string, (input: { Payload: Record<string, unknown> }) => Promise<unknown>> = {};
    for (const [state, fn] of taskFunctions(definition)) {
      handlers[state] = async ({ Payload }) => {
        if (fn.includes('PlanRun')) {
          invocations['plan-run'] = (invocations['plan-run'] ?? 0) + 1;
          return { Payload: await planRun(deps, { plan }) };
        }
        if (fn.includes('FinalizeRun')) {
          invocations['finalize-run'] = (invocations['finalize-run'] ?? 0) + 1;
          return { Payload: await finalizeRun(deps, Payload as Parameters<typeof finalizeRun>[1]) };
        }
        invocations['run-command'] = (invocations['run-command'] ?? 0) + 1;
        const { token, completion } = tokens.issue();
        await runCommand(deps, { ...(Payload as unknown as RunCommandInput), taskToken: token });
        return completion;
      };
    }
    const start = performance.now();
    const execution = new StateMachine(definition as never, { validationOptions: { checkArn: false } }).run(
      {},
      {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: { Execution: { Id: 'bench' }, Task: { Token: 'bench' } } as never,
      },
    );
    await execution.result;
    const wallMs = performance.now() - start;
    if (failures.length > 0) throw failures[0];
    const [entry] = await deps.catalog.list({ limit: 1 });
    if (!entry) throw new Error('the aws-path run left no catalog entry');

    const totals = Object.values(byOperation).map((o) => ({ ...o }));
    const dynamo = {
      readUnits: totals.reduce((n, o) => n + o.readUnits, 0),
      writeUnits: totals.reduce((n, o) => n + o.writeUnits, 0),
      requests: totals.reduce((n, o) => n + o.requests, 0),
      byOperation: structuredClone(byOperation),
    };
    const itemBytes = await sampleItemSizes(client, entry.runId);
    return {
      hostTasks: hosts * workloads * reps,
      final: entry,
      wallMs,
      lambdaInvocations: invocations,
      dynamo,
      putEventsEntries,
      s3Gets,
      ssmCommands,
      sendTaskCallbacks,
      itemBytes,
    };
  } finally {
    client.destroy();
    await server.close();
  }
}

/** Sizes of one item of each kind, as DynamoDB counts them (dynalite's own size function). */
async function sampleItemSizes(
  client: ReturnType<typeof createLocalClients>['client'],
  runId: string,
): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  const items: NonNullable<ScanCommandOutput['Items']> = [];
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: LOCAL_TABLES.journal,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  for (const item of items) {
    const sk = item.sk?.S ?? '';
    const kind = sk === 'META' ? 'META' : (sk.split('#')[0] ?? sk);
    if (kind === 'TASK' && item.status?.S !== 'COMPLETED') continue;
    if (kind === 'CMD' && item.phase?.S !== 'repetition') continue;
    sizes[kind] = Math.max(sizes[kind] ?? 0, dynaliteDb.itemSize(item));
  }
  const catalog = await client.send(new ScanCommand({ TableName: LOCAL_TABLES.catalog }));
  const entry = catalog.Items?.find((i) => i.runId?.S === runId);
  if (entry) sizes.catalog = dynaliteDb.itemSize(entry);
  return sizes;
}
