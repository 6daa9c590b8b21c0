/**
 * The journal's batch requests: BatchWriteItem in chunks of 25, BatchGetItem in chunks of 100, each
 * re-sent with what DynamoDB left unprocessed (it does so under throttling, and reports no error) after a
 * backoff from retry.ts, whose time and randomness the caller injects. A batch that stays unprocessed
 * after the policy's attempts is an EngineError: the command fails whole and can be retried, since every
 * batch write here is a put of an item its caller owns.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { EngineError } from '../../core/errors.js';
import { backoffMs, chunk, type RetryOverrides, type RetryPolicy, retryPolicy } from '../aws/retry.js';
import { mapLimit } from './map-limit.js';

type Item = Record<string, unknown>;
type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

/** BatchWriteItem takes at most 25 requests, BatchGetItem 100 keys. */
const WRITE_BATCH_SIZE = 25;
const GET_BATCH_SIZE = 100;
/** Batch writes sent at once. */
const WRITE_CONCURRENCY = 4;
/** Attempts of one batch while DynamoDB returns unprocessed items or keys, and their backoff. */
const BATCH_RETRY = { attempts: 8, baseMs: 50, maxMs: 2_000 } as const;
const THROTTLED_HINT = 'the table is throttled; retry the command (completed tasks are kept)';

/**
 * Batch puts and consistent batch gets on one table.
 * @example
 * const batches = new BatchRequests(doc, 'fleetbench-journal', { sleep: async () => {} });
 * await batches.putAll(items);
 * const found = await batches.getAll(keys);
 */
export class BatchRequests {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #policy: RetryPolicy;

  constructor(client: DynamoDBDocumentClient, table: string, retry: RetryOverrides = {}) {
    this.#client = client;
    this.#table = table;
    this.#policy = retryPolicy({ ...BATCH_RETRY, ...retry });
  }

  /** Puts every item, unconditionally (BatchWriteItem takes no condition). */
  async putAll(items: readonly Item[]): Promise<void> {
    await mapLimit(chunk(items, WRITE_BATCH_SIZE), WRITE_CONCURRENCY, (part) =>
      this.#writeBatch(part.map((item) => ({ PutRequest: { Item: item } }))),
    );
  }

  /** The items found under `keys`, read consistently, in no particular order. */
  async getAll(keys: readonly Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (const part of chunk(keys, GET_BATCH_SIZE)) {
      let pending: Item[] = part;
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        const out = await this.#client.send(
          new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } } }),
        );
        found.push(...(out.Responses?.[this.#table] ?? []));
        pending = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
        if (pending.length > 0) {
          if (attempt >= this.#policy.attempts) {
            throw new EngineError(
              `DynamoDB left ${pending.length} journal reads unprocessed after ${attempt} attempts`,
              { hint: THROTTLED_HINT },
            );
          }
          await this.#policy.sleep(backoffMs(attempt - 1, this.#policy));
        }
      }
    }
    return found;
  }

  /** One BatchWriteItem, re-sending UnprocessedItems after a backoff. */
  async #writeBatch(requests: WriteRequests): Promise<void> {
    let pending = requests;
    for (let attempt = 1; ; attempt++) {
      const out = await this.#client.send(
        new BatchWriteCommand({ RequestItems: { [this.#table]: pending } }),
      );
      const unprocessed = out.UnprocessedItems?.[this.#table] ?? [];
      if (unprocessed.length === 0) return;
      if (attempt >= this.#policy.attempts) {
        throw new EngineError(
          `DynamoDB left ${unprocessed.length} of ${requests.length} journal writes unprocessed after ${attempt} attempts`,
          { hint: THROTTLED_HINT },
        );
      }
      await this.#policy.sleep(backoffMs(attempt - 1, this.#policy));
      pending = unprocessed as WriteRequests;
    }
  }
}
