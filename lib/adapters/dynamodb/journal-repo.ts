/**
 * The journal on DynamoDB (or dynalite locally): one partition per run, `pk = RUN#<runId>`, and
 * `sk = META | TASK#<workload>#<rep:04>#<host> | CMD#<commandId> | STATE#<iso-ts>#<seq:06> | HOST#<instanceId>`
 * (journal-keys.ts builds them; batch-requests.ts sends the batches, bounded-cache.ts keeps what never changes,
 * map-limit.ts bounds the fan-outs, condition-failure.ts tells a lost condition from an error).
 * Items keep the record's fields as top-level attributes, so the console shows them as they are.
 *
 * A command is several items, so that no item grows with the fleet: `CMD#<id>` (its summary and the count
 * of hosts that answered, updated once per answer), `CMDH#<id>#<part:04>` (its hosts, ≤ 50 per item,
 * written once) and, for steps other than repetitions, `CMDO#<id>#<hostId>` (one host's outcome, written
 * once); a repetition's outcomes are its `TASK#` items. Each answer then writes one or two small items
 * instead of rewriting one item that holds the whole fleet.
 *
 * Every single-item write carries its condition here, next to the operation it protects: a COMPLETED
 * task never regresses, a late or duplicate status event is a no-op, a command is closed once, an ephemeral
 * host moves only from the state it was read in. The only
 * unconditional writes are the batch writes of putTasks/markRunning (BatchWriteItem takes no condition),
 * whose callers own the tasks they write (a new run's tasks; the tasks a command is about to run).
 *
 * One concept in one file although it is long: the JournalRepo port, one method per journal operation,
 * each a request with its condition beside it (the key schema, batching, caching and concurrency live in
 * the files named above). Splitting the methods by item kind would part conditions that guard each other,
 * such as recordTaskResult's and the repetition outcomes a command recounts.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CommandNotFoundError, ConflictError } from '../../core/errors.js';
import {
  type HostObservation,
  type HostRecord,
  type HostTransition,
  planHostMove,
} from '../../core/host-lifecycle.js';
import type { JournalRepo } from '../../core/ports.js';
import {
  type CommandRecord,
  type CommandSpec,
  type CommandSummary,
  type Host,
  type HostOutcome,
  type RunMeta,
  type StateRecord,
  type TaskRecord,
  taskOutcome,
} from '../../core/run.js';
import { assertTaskTransition, type TaskStatus } from '../../core/task-state.js';
import type { RetryOverrides } from '../aws/retry.js';
import { BatchRequests } from './batch-requests.js';
import { BoundedCache } from './bounded-cache.js';
import { isConditionFailure } from './condition-failure.js';
import {
  CLOSED_BY,
  commandHostsPartKey,
  commandHostsPrefix,
  commandOutcomeKey,
  commandOutcomesPrefix,
  commandSortKey,
  HOSTS_PER_PART,
  hostSortKey,
  META_SORT_KEY,
  PROVIDER_SORT_KEY,
  providerPartitionKey,
  runPartitionKey,
  SortKeyPrefix,
  stateSortKey,
  taskPrefix,
  taskSortKey,
  withoutKeys,
} from './journal-keys.js';
import { mapLimit } from './map-limit.js';
import { setAssignments } from './update-expression.js';

type Item = Record<string, unknown>;
type TaskRef = Pick<TaskRecord, 'workload' | 'rep' | 'host'>;
type TaskResult = Parameters<JournalRepo['recordTaskResult']>[1];

/** Conditional updates sent at once by setTasksStatus. */
const UPDATE_CONCURRENCY = 16;

/** The fields recordTaskResult may set; everything else (keys, commandId) stays as markRunning wrote it. */
const RESULT_FIELDS = [
  'status',
  'attempts',
  'seed',
  'startedAt',
  'finishedAt',
  'durationMs',
  'exitCode',
  'error',
  'errorType',
  'errorContext',
  'metrics',
  'outputRef',
] as const satisfies readonly (keyof TaskResult)[];

/** Commands and runs whose immutable parts stay cached (a Lambda container, the local engine). */
const CACHED_COMMANDS = 256;
const CACHED_RUNS = 16;

/** Attempts of recordHostState when another writer moved the host between our read and our write. */
const HOST_WRITE_ATTEMPTS = 5;

/**
 * JournalRepo on a DynamoDB table with the journal schema (tables.ts). The document client must
 * remove undefined values (create it with createDocumentClient).
 *
 * @example
 * const journal = new DynamoJournalRepo({ client: createDocumentClient(client), tableName: 'fleetbench-journal' });
 * await journal.createRun(meta);
 * await journal.markRunning(meta.runId, tasks, commandId, clock.now().toISOString());
 * const applied = await journal.recordTaskResult(meta.runId, { ...ref, status: 'COMPLETED', commandId });
 */
export class DynamoJournalRepo implements JournalRepo {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  /** Specs of commands read or written here, by `runId\0commandId`: they never change. */
  readonly #specs = new BoundedCache<CommandSpec>(CACHED_COMMANDS);
  /** META by run id; served only to callers that name its attempt (META never changes within one). */
  readonly #metas = new BoundedCache<RunMeta>(CACHED_RUNS);
  readonly #batches: BatchRequests;

  /** `retry` tunes the backoff of throttled batches (tests inject `sleep` and `random`). */
  constructor(options: { client: DynamoDBDocumentClient; tableName: string; retry?: RetryOverrides }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#batches = new BatchRequests(options.client, options.tableName, options.retry);
  }

  async createRun(meta: RunMeta): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...meta, pk: runPartitionKey(meta.runId), sk: META_SORT_KEY },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new ConflictError(`run ${meta.runId} already exists`, { hint: 'use a new run id', cause: err });
      }
      throw err;
    }
  }

  async getRun(runId: string, options: { attempt?: number } = {}): Promise<RunMeta | undefined> {
    const cached = this.#metas.get(runId);
    if (cached !== undefined && options.attempt !== undefined && cached.attempt === options.attempt)
      return cached;
    const meta = await this.#get<RunMeta>(runId, META_SORT_KEY);
    if (meta !== undefined) this.#metas.set(runId, meta);
    return meta;
  }

  async updateRunForResume(meta: RunMeta): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...meta, pk: runPartitionKey(meta.runId), sk: META_SORT_KEY },
          ConditionExpression: 'attempt = :previous',
          ExpressionAttributeValues: { ':previous': meta.attempt - 1 },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new ConflictError(
          `run ${meta.runId} is not at attempt ${meta.attempt - 1}: it is missing or another resume won`,
          { hint: 'check the run with `fleetbench status`', cause: err },
        );
      }
      throw err;
    }
  }

  async putTasks(runId: string, tasks: readonly TaskRecord[]): Promise<void> {
    const pk = runPartitionKey(runId);
    await this.#batches.putAll(tasks.map((task) => ({ ...task, pk, sk: taskSortKey(task) })));
  }

  async listTasks(runId: string, filter: { workload?: string; rep?: number } = {}): Promise<TaskRecord[]> {
    const input: Omit<QueryCommandInput, 'TableName'> = {};
    // With a workload the repetition narrows the key prefix; without one it can only filter.
    if (filter.workload === undefined && filter.rep !== undefined) {
      input.FilterExpression = '#rep = :rep';
      input.ExpressionAttributeNames = { '#rep': 'rep' };
      input.ExpressionAttributeValues = { ':rep': filter.rep };
    }
    return this.#queryPrefix<TaskRecord>(runId, taskPrefix(filter), input);
  }

  async getTask(runId: string, task: TaskRef): Promise<TaskRecord | undefined> {
    return this.#get<TaskRecord>(runId, taskSortKey(task));
  }

  async markRunning(
    runId: string,
    tasks: readonly TaskRecord[],
    commandId: string,
    startedAt: string,
  ): Promise<void> {
    const pk = runPartitionKey(runId);
    const items = tasks.map((task) => {
      // BatchWriteItem cannot carry a condition: at least refuse to re-run what the caller knows is done.
      assertTaskTransition(task.status, 'RUNNING');
      const running: TaskRecord = {
        key: task.key,
        host: task.host,
        workload: task.workload,
        rep: task.rep,
        ...(task.warmup ? { warmup: true } : {}),
        seed: task.seed,
        status: 'RUNNING',
        attempts: task.attempts + 1,
        startedAt,
        commandId,
        previousStatus: task.status,
      };
      return { ...running, pk, sk: taskSortKey(task) };
    });
    await this.#batches.putAll(items);
  }

  async recordTaskResult(runId: string, result: TaskResult): Promise<TaskRecord | undefined> {
    assertTaskTransition('RUNNING', result.status);
    const names: Record<string, string> = { '#status': 'status', '#commandId': 'commandId' };
    const values: Item = { ':running': 'RUNNING', ':commandId': result.commandId };
    const sets = setAssignments(Object.fromEntries(RESULT_FIELDS.map((f) => [f, result[f]])), {
      names,
      values,
    });
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: runPartitionKey(runId), sk: taskSortKey(result) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :running AND #commandId = :commandId',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes === undefined ? undefined : withoutKeys<TaskRecord>(out.Attributes);
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async setTasksStatus(
    runId: string,
    tasks: readonly TaskRef[],
    status: Extract<TaskStatus, 'SKIPPED' | 'CANCELLED' | 'PENDING' | 'FAILED'>,
    reason: string,
    options: { onlyIf?: readonly TaskStatus[] } = {},
  ): Promise<number> {
    const values: Item = { ':status': status, ':reason': reason, ':completed': 'COMPLETED' };
    let condition = 'attribute_exists(pk) AND #status <> :completed';
    if (options.onlyIf !== undefined) {
      const placeholders = options.onlyIf.map((allowed, i) => {
        values[`:onlyIf${i}`] = allowed;
        return `:onlyIf${i}`;
      });
      // An empty onlyIf allows nothing: `IN ()` is not valid syntax, so say so without a request.
      if (placeholders.length === 0) return 0;
      condition += ` AND #status IN (${placeholders.join(', ')})`;
    }
    const pk = runPartitionKey(runId);
    const applied = await mapLimit(tasks, UPDATE_CONCURRENCY, async (task) => {
      try {
        await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: { pk, sk: taskSortKey(task) },
            // The reason is kept in `error`: it tells the user why the task did not (fully) run.
            UpdateExpression: 'SET #status = :status, #error = :reason',
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
            ExpressionAttributeValues: values,
          }),
        );
        return 1;
      } catch (err) {
        if (isConditionFailure(err)) return 0;
        throw err;
      }
    });
    return applied.reduce((sum: number, n) => sum + n, 0);
  }

  async putCommand(command: CommandSpec): Promise<void> {
    const { hosts, ...spec } = command;
    const pk = runPartitionKey(command.runId);
    const summary: CommandSummary = {
      ...spec,
      status: 'SENT',
      hostCount: hosts.length,
      answered: 0,
      providerIds: [],
    };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...summary, pk, sk: commandSortKey(command.commandId) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      // This very write, with nothing done since: not sent (no provider ids), nobody answered.
      const own = (c: Item) =>
        c.taskToken === command.taskToken &&
        c.sentAt === command.sentAt &&
        c.status === 'SENT' &&
        Number(c.answered) === 0 &&
        Array.isArray(c.providerIds) &&
        c.providerIds.length === 0;
      if (!isConditionFailure(err)) throw err;
      if (!(await this.#landed(command.runId, commandSortKey(command.commandId), own))) {
        throw new ConflictError(`command ${command.commandId} of run ${command.runId} already exists`, {
          cause: err,
        });
      }
    }
    const parts: Item[] = [];
    for (let i = 0; i < hosts.length; i += HOSTS_PER_PART) {
      parts.push({
        pk,
        sk: commandHostsPartKey(command.commandId, i / HOSTS_PER_PART),
        hosts: hosts.slice(i, i + HOSTS_PER_PART),
      });
    }
    await this.#batches.putAll(parts);
    this.#specs.set(specKey(command.runId, command.commandId), command);
  }

  async getCommandSpec(runId: string, commandId: string): Promise<CommandSpec | undefined> {
    const cached = this.#specs.get(specKey(runId, commandId));
    if (cached !== undefined) return cached;
    const summary = await this.#get<CommandSummary>(runId, commandSortKey(commandId));
    if (summary === undefined) return undefined;
    return this.#specOf(summary, await this.#commandHosts(runId, commandId));
  }

  async getCommand(runId: string, commandId: string): Promise<CommandRecord | undefined> {
    const summary = await this.#get<CommandSummary>(runId, commandSortKey(commandId));
    if (summary === undefined) return undefined;
    const cached = this.#specs.get(specKey(runId, commandId));
    const spec = cached ?? this.#specOf(summary, await this.#commandHosts(runId, commandId));
    return { ...summary, hosts: spec.hosts, outcomes: await this.getHostOutcomes(spec) };
  }

  async getHostOutcomes(spec: CommandSpec): Promise<Record<string, HostOutcome>> {
    const recorded = await this.#recordedOutcomes(spec.runId, spec);
    const outcomes: Record<string, HostOutcome> = {};
    for (const host of spec.hosts) {
      const outcome = recorded.get(spec.phase === 'repetition' ? host.name : host.id);
      if (outcome !== undefined) outcomes[host.id] = outcome;
    }
    return outcomes;
  }

  async listCommands(runId: string): Promise<CommandSummary[]> {
    return this.#queryPrefix<CommandSummary>(runId, SortKeyPrefix.command);
  }

  async getCommandSummaries(runId: string, commandIds: readonly string[]): Promise<CommandSummary[]> {
    const pk = runPartitionKey(runId);
    const items = await this.#batches.getAll(commandIds.map((id) => ({ pk, sk: commandSortKey(id) })));
    return items.map((item) => withoutKeys<CommandSummary>(item));
  }

  async setCommandProviderIds(
    runId: string,
    commandId: string,
    providerIds: readonly string[],
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: runPartitionKey(runId), sk: commandSortKey(commandId) },
          UpdateExpression: 'SET providerIds = :providerIds',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':providerIds': providerIds },
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new CommandNotFoundError(runId, commandId, { cause: err });
      throw err;
    }
    // One item per id, outside the run's partition, so a status event is matched with one GetItem.
    await this.#batches.putAll(
      providerIds.map((id) => ({ pk: providerPartitionKey(id), sk: PROVIDER_SORT_KEY, runId, commandId })),
    );
  }

  async findCommandByProviderId(
    providerId: string,
  ): Promise<{ runId: string; commandId: string } | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: providerPartitionKey(providerId), sk: PROVIDER_SORT_KEY },
      }),
    );
    const item = out.Item as { runId: string; commandId: string } | undefined;
    return item ? { runId: item.runId, commandId: item.commandId } : undefined;
  }

  async replaceCommandToken(runId: string, commandId: string, taskToken: string): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: runPartitionKey(runId), sk: commandSortKey(commandId) },
          UpdateExpression: 'SET taskToken = :token',
          ConditionExpression: '#status = :sent',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': taskToken, ':sent': 'SENT' },
        }),
      );
      this.#specs.delete(specKey(runId, commandId));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async recordHostOutcome(
    runId: string,
    commandId: string,
    hostId: string,
    outcome: HostOutcome,
  ): Promise<{ answered: number; hostCount: number } | undefined> {
    const pk = runPartitionKey(runId);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk, sk: commandOutcomeKey(commandId, hostId), hostId, outcome },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      // Already recorded: a duplicate event.
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
    // Counted only by the writer whose outcome was new, so each host counts once (see recountHostOutcomes).
    return this.countAnswer(runId, commandId);
  }

  async countAnswer(runId: string, commandId: string): Promise<{ answered: number; hostCount: number }> {
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: runPartitionKey(runId), sk: commandSortKey(commandId) },
          UpdateExpression: 'ADD answered :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return answers(out.Attributes) ?? { answered: 0, hostCount: 0 };
    } catch (err) {
      if (isConditionFailure(err)) throw new CommandNotFoundError(runId, commandId, { cause: err });
      throw err;
    }
  }

  async recountHostOutcomes(
    runId: string,
    commandId: string,
  ): Promise<{ answered: number; hostCount: number } | undefined> {
    const spec = await this.getCommandSpec(runId, commandId);
    if (spec === undefined) return undefined;
    const recorded = (await this.#recordedOutcomes(runId, spec)).size;
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: runPartitionKey(runId), sk: commandSortKey(commandId) },
          UpdateExpression: 'SET answered = :recorded',
          // Only ever raised: a concurrent writer may have counted its own outcome meanwhile.
          ConditionExpression: 'attribute_exists(pk) AND answered < :recorded',
          ExpressionAttributeValues: { ':recorded': recorded },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return answers(out.Attributes);
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return answers(await this.#get<Item>(runId, commandSortKey(commandId)));
    }
  }

  async closeCommand(
    runId: string,
    commandId: string,
    doneAt: string,
    found: { readonly failedHosts: readonly string[]; readonly silentHosts: readonly string[] },
  ): Promise<boolean> {
    // Names this close, so a re-sent request whose first answer was lost knows the close was its own.
    const closedBy = randomUUID();
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: runPartitionKey(runId), sk: commandSortKey(commandId) },
          UpdateExpression:
            'SET #status = :done, doneAt = :doneAt, failedHosts = :failedHosts, silentHosts = :silentHosts, #closedBy = :closedBy',
          ConditionExpression: '#status = :sent',
          ExpressionAttributeNames: { '#status': 'status', '#closedBy': CLOSED_BY },
          ExpressionAttributeValues: {
            ':done': 'DONE',
            ':sent': 'SENT',
            ':doneAt': doneAt,
            ':failedHosts': found.failedHosts,
            ':silentHosts': found.silentHosts,
            ':closedBy': closedBy,
          },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return this.#landed(runId, commandSortKey(commandId), (c) => c[CLOSED_BY] === closedBy);
    }
  }

  /**
   * The outcomes recorded for a command: a repetition's by host name (its tasks with a result under the
   * command), any other step's by host id (its `CMDO#` items).
   */
  async #recordedOutcomes(
    runId: string,
    summary: Pick<CommandSpec, 'commandId' | 'phase' | 'workload' | 'rep' | 'hosts'>,
  ): Promise<Map<string, HostOutcome>> {
    if (summary.phase === 'repetition' && summary.workload !== undefined && summary.rep !== undefined) {
      const { workload, rep } = summary;
      // One host's step (strategy free) reads its task, not the whole fleet's repetition.
      const tasks =
        summary.hosts.length === 1
          ? [await this.getTask(runId, { workload, rep, host: summary.hosts[0]?.name ?? '' })].filter(
              (t): t is TaskRecord => t !== undefined,
            )
          : await this.listTasks(runId, { workload, rep });
      const recorded = new Map<string, HostOutcome>();
      for (const task of tasks) {
        const outcome = taskOutcome(task, summary.commandId);
        if (outcome !== undefined) recorded.set(task.host, outcome);
      }
      return recorded;
    }
    const items = await this.#queryPrefix<{ hostId: string; outcome: HostOutcome }>(
      runId,
      commandOutcomesPrefix(summary.commandId),
    );
    return new Map(items.map((o) => [o.hostId, o.outcome]));
  }

  /** A command's hosts, in the order it was sent with, from its `CMDH#` parts. */
  async #commandHosts(runId: string, commandId: string): Promise<Host[]> {
    const parts = await this.#queryPrefix<{ hosts: Host[] }>(runId, commandHostsPrefix(commandId));
    return parts.flatMap((p) => p.hosts);
  }

  #specOf(summary: CommandSummary, hosts: readonly Host[]): CommandSpec {
    const spec: CommandSpec = {
      runId: summary.runId,
      commandId: summary.commandId,
      phase: summary.phase,
      ...(summary.workload !== undefined ? { workload: summary.workload } : {}),
      ...(summary.rep !== undefined ? { rep: summary.rep } : {}),
      hosts,
      taskToken: summary.taskToken,
      cancellable: summary.cancellable,
      sentAt: summary.sentAt,
    };
    // Cached once whole: a read between putCommand's two writes sees the summary before all its hosts.
    if (hosts.length === summary.hostCount) {
      this.#specs.set(specKey(summary.runId, summary.commandId), spec);
    }
    return spec;
  }

  async appendState(runId: string, record: StateRecord): Promise<void> {
    const sk = stateSortKey(record);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...record, pk: runPartitionKey(runId), sk },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new ConflictError(`state record ${sk} of run ${runId} already exists`, { cause: err });
      }
      throw err;
    }
  }

  async listStates(runId: string): Promise<StateRecord[]> {
    return this.#queryPrefix<StateRecord>(runId, SortKeyPrefix.state);
  }

  async recordHostState(runId: string, observation: HostObservation): Promise<HostRecord | undefined> {
    const key = { pk: runPartitionKey(runId), sk: hostSortKey(observation.instanceId) };
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.#get<HostRecord>(runId, key.sk);
      const move = planHostMove(current?.state, observation.state);
      if (move === 'unchanged') return undefined;
      const entry: HostTransition = {
        at: observation.at,
        from: current?.state ?? null,
        to: observation.state,
        reason: observation.reason,
      };
      try {
        if (current === undefined) {
          const record: HostRecord = {
            ...observation.details,
            runId,
            instanceId: observation.instanceId,
            name: observation.name,
            state: observation.state,
            reason: observation.reason,
            createdAt: observation.at,
            updatedAt: observation.at,
            history: [entry],
          };
          await this.#client.send(
            new PutCommand({
              TableName: this.#table,
              Item: { ...record, ...key },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          return record;
        }
        const names: Record<string, string> = { '#state': 'state', '#reason': 'reason' };
        const values: Item = {
          ':from': current.state,
          ':to': observation.state,
          ':reason': observation.reason,
          ':at': observation.at,
          ':entry': [entry],
        };
        // Details learnt later (the address once running) complete the record; they never erase it.
        const details = setAssignments({ ...observation.details }, { names, values });
        const out = await this.#client.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: key,
            UpdateExpression: `SET ${[
              '#state = :to',
              '#reason = :reason',
              'updatedAt = :at',
              'history = list_append(history, :entry)',
              ...details,
            ].join(', ')}`,
            ConditionExpression: '#state = :from',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return out.Attributes === undefined ? undefined : withoutKeys<HostRecord>(out.Attributes);
      } catch (err) {
        // Another writer (finalize and the reconciler both ending a host) got there first: read again.
        if (!isConditionFailure(err)) throw err;
        if (attempt >= HOST_WRITE_ATTEMPTS) {
          throw new ConflictError(
            `host ${observation.instanceId} of run ${runId} kept changing while recording ${observation.state}`,
            { cause: err },
          );
        }
      }
    }
  }

  async listHostRecords(runId: string): Promise<HostRecord[]> {
    return this.#queryPrefix<HostRecord>(runId, SortKeyPrefix.host);
  }

  async deleteRun(runId: string): Promise<number> {
    const pk = runPartitionKey(runId);
    const keys: { sk: string; providerIds?: readonly string[] }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          // Keys only, and the runner ids a command item points to (their PROVIDER# items go too).
          ProjectionExpression: 'sk, providerIds',
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of out.Items ?? []) keys.push(item as (typeof keys)[number]);
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    const remove = (key: Item) => this.#client.send(new DeleteCommand({ TableName: this.#table, Key: key }));
    // First what lets a late status event find the run, then the partition, META last: a purge cut short
    // (a crash, throttling) still finds the run and is finished by the next one.
    const providers = keys.flatMap((k) => [...(k.providerIds ?? [])]);
    await mapLimit(providers, UPDATE_CONCURRENCY, (id) =>
      remove({ pk: providerPartitionKey(id), sk: PROVIDER_SORT_KEY }),
    );
    const items = keys.filter((k) => k.sk !== META_SORT_KEY);
    await mapLimit(items, UPDATE_CONCURRENCY, (k) => remove({ pk, sk: k.sk }));
    const hadMeta = items.length < keys.length;
    if (hadMeta) await remove({ pk, sk: META_SORT_KEY });
    return providers.length + keys.length;
  }

  /**
   * After a conditional write failed its condition: whether the item is the one this write puts, i.e. the
   * write itself landed before, and only its answer was lost (a connection cut, then re-sent by the SDK or
   * the local failover), so the write succeeded. One consistent read, on the conflict path only.
   */
  async #landed(runId: string, sk: string, isThisWrite: (item: Item) => boolean): Promise<boolean> {
    const item = await this.#getItem(runId, sk);
    return item !== undefined && isThisWrite(item);
  }

  async #get<T>(runId: string, sk: string): Promise<T | undefined> {
    const item = await this.#getItem(runId, sk);
    return item === undefined ? undefined : withoutKeys<T>(item);
  }

  /** The stored item, read consistently, with its key and bookkeeping attributes. */
  async #getItem(runId: string, sk: string): Promise<Item | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: runPartitionKey(runId), sk },
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  /** Every item of the run whose sk starts with `prefix`, in sk order, all pages. */
  async #queryPrefix<T>(
    runId: string,
    prefix: string,
    extra: Omit<QueryCommandInput, 'TableName'> = {},
  ): Promise<T[]> {
    const records: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#client.send(
        new QueryCommand({
          ...extra,
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ...extra.ExpressionAttributeValues,
            ':pk': runPartitionKey(runId),
            ':prefix': prefix,
          },
          // Callers decide from these lists (what to skip on resume, what is in flight).
          ConsistentRead: true,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of out.Items ?? []) records.push(withoutKeys<T>(item));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return records;
  }
}

/** The cache key of a command's spec. */
function specKey(runId: string, commandId: string): string {
  return `${runId}\0${commandId}`;
}

function answers(item: Item | undefined): { answered: number; hostCount: number } | undefined {
  if (item === undefined) return undefined;
  return { answered: Number(item.answered ?? 0), hostCount: Number(item.hostCount ?? 0) };
}
