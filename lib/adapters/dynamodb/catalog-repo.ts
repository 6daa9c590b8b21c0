/**
 * The run catalog on DynamoDB (or dynalite locally): one item per run keyed by `runId`, listed newest
 * first through the `byCreatedAt` index (every item carries `gsi1pk = "RUN"`, see tables.ts).
 *
 * Controller state moves are compare-and-set (`state = :from`) on top of the transition table, so two
 * writers can never both move a run; a stop request is recorded once and the first one is kept.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ControllerState, TERMINAL_STATES, transition } from '../../core/controller-state.js';
import { ConflictError, RunNotFoundError } from '../../core/errors.js';
import type { CatalogRepo, Clock } from '../../core/ports.js';
import type { CatalogEntry, StopRequest } from '../../core/run.js';
import { replacesStopRequest } from '../../core/stop-rule.js';
import type { TaskCounts } from '../../core/task-state.js';
import { systemClock } from '../system-clock.js';
import { isConditionFailure } from './condition-failure.js';
import { CATALOG_KEYS } from './tables.js';
import { setAssignments } from './update-expression.js';

const INDEX = CATALOG_KEYS.byCreatedAt;
const DEFAULT_LIST_LIMIT = 50;

type StateFields = Parameters<CatalogRepo['updateState']>[3];

/**
 * CatalogRepo on a DynamoDB table with the catalog schema (tables.ts). The document client must remove
 * undefined values (create it with createDocumentClient); `clock` stamps `updatedAt` on state changes.
 *
 * @example
 * const catalog = new DynamoCatalogRepo({ client: doc, tableName: 'fleetbench-catalog', clock });
 * await catalog.updateState(runId, 'INIT', 'RUNNING_GLOBAL_SETUP');
 * const first = await catalog.requestStop(runId, request); // false when a stop was already requested
 */
export class DynamoCatalogRepo implements CatalogRepo {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; clock?: Clock }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#clock = options.clock ?? systemClock;
  }

  async create(entry: CatalogEntry): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...entry, [INDEX.partitionKey]: INDEX.partitionValue },
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        throw new ConflictError(`run ${entry.runId} is already in the catalog`, { cause: err });
      }
      throw err;
    }
  }

  async get(runId: string): Promise<CatalogEntry | undefined> {
    const out = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { runId }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : toEntry(out.Item);
  }

  async list(options: { limit?: number } = {}): Promise<CatalogEntry[]> {
    return this.#queryIndex({
      condition: '#gsi1pk = :run',
      newestFirst: true,
      limit: options.limit ?? DEFAULT_LIST_LIMIT,
    });
  }

  async updateState(
    runId: string,
    from: ControllerState,
    to: ControllerState,
    fields: StateFields = {},
  ): Promise<void> {
    transition(from, to);
    const names: Record<string, string> = { '#state': 'state', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = {
      ':from': from,
      ':to': to,
      ':updatedAt': this.#clock.now().toISOString(),
    };
    const sets = ['#state = :to', '#updatedAt = :updatedAt', ...setAssignments(fields, { names, values })];
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { runId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#state = :from',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // Failure path only: read the run to say what the state actually is (or that the run is gone).
      const current = await this.#require(runId, err);
      throw new ConflictError(`run ${runId} is ${current.state}, not ${from}: cannot move it to ${to}`, {
        hint: 'another process changed the run; check it with `fleetbench status`',
        cause: err,
      });
    }
  }

  async updateCounts(runId: string, counts: TaskCounts, updatedAt: string): Promise<void> {
    await this.#updateExisting(runId, 'SET counts = :counts, updatedAt = :updatedAt', {
      ':counts': counts,
      ':updatedAt': updatedAt,
    });
  }

  async addCounts(runId: string, delta: Partial<TaskCounts>, updatedAt: string): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':updatedAt': updatedAt };
    const adds = Object.entries(delta)
      .filter(([, n]) => n !== undefined && n !== 0)
      .map(([status, n], i) => {
        names[`#s${i}`] = status;
        values[`:n${i}`] = n;
        return `counts.#s${i} :n${i}`;
      });
    if (adds.length === 0) return;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { runId },
          UpdateExpression: `ADD ${adds.join(', ')} SET updatedAt = :updatedAt`,
          ConditionExpression: 'attribute_exists(runId)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new RunNotFoundError(runId, { cause: err });
      throw err;
    }
  }

  async recordPolicyFailure(runId: string, mark: string): Promise<void> {
    await this.#updateExisting(runId, 'ADD policyFailures :mark SET updatedAt = :updatedAt', {
      ':mark': new Set([mark]),
      ':updatedAt': this.#clock.now().toISOString(),
    });
  }

  async requestStop(runId: string, request: StopRequest): Promise<boolean> {
    // The stop rule as a condition: no request yet, or (when this one escalates) a graceful one.
    const escalates = replacesStopRequest({ force: false }, request);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { runId },
          UpdateExpression: 'SET stopRequest = :request, updatedAt = :updatedAt',
          ConditionExpression: escalates
            ? 'attribute_exists(runId) AND (attribute_not_exists(stopRequest) OR stopRequest.#force = :graceful)'
            : 'attribute_exists(runId) AND attribute_not_exists(stopRequest)',
          ExpressionAttributeValues: {
            ':request': request,
            ':updatedAt': this.#clock.now().toISOString(),
            ...(escalates ? { ':graceful': false } : {}),
          },
          ...(escalates ? { ExpressionAttributeNames: { '#force': 'force' } } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      await this.#require(runId, err);
      return false;
    }
  }

  async clearStopRequest(runId: string): Promise<void> {
    await this.#updateExisting(runId, 'REMOVE stopRequest SET updatedAt = :updatedAt', {
      ':updatedAt': this.#clock.now().toISOString(),
    });
  }

  async setExecution(runId: string, fields: { executionArn?: string; engine?: string }): Promise<void> {
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    if (fields.executionArn !== undefined) {
      values[':executionArn'] = fields.executionArn;
      sets.push('executionArn = :executionArn');
    }
    if (fields.engine !== undefined) {
      values[':engine'] = fields.engine;
      sets.push('engine = :engine');
    }
    if (sets.length === 0) return;
    await this.#updateExisting(runId, `SET ${sets.join(', ')}`, values);
  }

  async delete(runId: string): Promise<void> {
    await this.#client.send(new DeleteCommand({ TableName: this.#table, Key: { runId } }));
  }

  async deleteEnded(runId: string): Promise<void> {
    const values = Object.fromEntries(TERMINAL_STATES.map((state, i) => [`:ended${i}`, state]));
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { runId },
          // The discard rule as a condition: a run resumed since it was read (back to INIT) stays.
          ConditionExpression: `#state IN (${Object.keys(values).join(', ')})`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const current = await this.#require(runId, err);
      throw new ConflictError(`run ${runId} is ${current.state} again: it was not removed`, {
        hint: 'another process resumed the run; stop it first with `fleetbench stop`',
        cause: err,
      });
    }
  }

  async listCreatedBefore(cutoff: string, options: { limit?: number } = {}): Promise<CatalogEntry[]> {
    return this.#queryIndex({
      condition: '#gsi1pk = :run AND #createdAt < :cutoff',
      names: { '#createdAt': INDEX.sortKey },
      values: { ':cutoff': cutoff },
      newestFirst: false,
      limit: options.limit ?? Number.POSITIVE_INFINITY,
    });
  }

  /** Runs from the index by creation time, up to `limit` of them (Infinity: all). */
  async #queryIndex(query: {
    readonly condition: string;
    readonly names?: Record<string, string>;
    readonly values?: Record<string, unknown>;
    readonly newestFirst: boolean;
    readonly limit: number;
  }): Promise<CatalogEntry[]> {
    const { limit } = query;
    const entries: CatalogEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    // A page may stop short of Limit (1 MB per page), so keep reading until we have `limit` runs.
    while (entries.length < limit) {
      const out = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: INDEX.indexName,
          KeyConditionExpression: query.condition,
          ExpressionAttributeNames: { '#gsi1pk': INDEX.partitionKey, ...query.names },
          ExpressionAttributeValues: { ':run': INDEX.partitionValue, ...query.values },
          ScanIndexForward: !query.newestFirst,
          ...(Number.isFinite(limit) ? { Limit: limit - entries.length } : {}),
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of out.Items ?? []) entries.push(toEntry(item));
      startKey = out.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    return entries;
  }

  /** An update of an existing run's attributes; a missing run is RunNotFoundError. */
  async #updateExisting(
    runId: string,
    updateExpression: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { runId },
          UpdateExpression: updateExpression,
          ConditionExpression: 'attribute_exists(runId)',
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new RunNotFoundError(runId, { cause: err });
      throw err;
    }
  }

  async #require(runId: string, cause: unknown): Promise<CatalogEntry> {
    const current = await this.get(runId);
    if (current === undefined) throw new RunNotFoundError(runId, { cause });
    return current;
  }
}

function toEntry(item: Record<string, unknown>): CatalogEntry {
  const entry = { ...item };
  delete entry[INDEX.partitionKey];
  // A string set in DynamoDB, an array in the entry (sorted, so equal entries compare equal).
  if (entry.policyFailures instanceof Set) entry.policyFailures = [...entry.policyFailures].sort();
  return entry as CatalogEntry;
}
