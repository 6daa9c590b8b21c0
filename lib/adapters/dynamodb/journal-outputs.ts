/**
 * Host outputs kept in the journal: one item per host and command, `OUT#<commandId>#<hostId>` in the run's
 * partition, holding its stdout and stderr. On aws, SSM returns an invocation's output itself up to 24,000
 * characters of stdout and 8,000 of stderr, and keeps it 30 days; an output that small is kept here, beside
 * the task it belongs to, for as long as the run (a write unit per KB, where SSM's upload to S3 cost two PUTs
 * of 8 write units' price each). Larger outputs go to S3 (ssm-output-store.ts). The items are written once
 * per answer and read only by the output's readers, never by the queries of tasks and commands, so those
 * stay as small as before.
 *
 * A ref names the item and the stream: `journal:<runId>/<commandId>/<hostId>/stdout` (each part
 * URI-encoded), so that, as for files and S3 objects, the stderr ref is the stdout ref ending in `stderr`.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dropPartialFirstLine } from '../../core/output-tail.js';
import { outputSortKey, runPartitionKey } from './journal-keys.js';

const SCHEME = 'journal:';
const STREAMS = ['stdout', 'stderr'] as const;
type Stream = (typeof STREAMS)[number];

/** Whose output an item holds. */
export type OutputIds = { readonly runId: string; readonly commandId: string; readonly hostId: string };

/** What an item holds: both streams, and whether SSM had cut them (kept as far as it returned them). */
export type KeptStreams = { readonly stdout: string; readonly stderr: string; readonly truncated?: boolean };

/**
 * The ref of one stream of a kept output.
 * @example
 * journalOutputRef({ runId: 'r', commandId: 'a1.repetition.cpu.1', hostId: 'i-1' }, 'stdout');
 * // 'journal:r/a1.repetition.cpu.1/i-1/stdout'
 */
export function journalOutputRef(ids: OutputIds, stream: Stream): string {
  return `${SCHEME}${[ids.runId, ids.commandId, ids.hostId].map(encodeURIComponent).join('/')}/${stream}`;
}

/** The ids and stream a journal ref names; undefined for any other ref. */
export function parseJournalOutputRef(ref: string): (OutputIds & { stream: Stream }) | undefined {
  if (!ref.startsWith(SCHEME)) return undefined;
  const parts = ref.slice(SCHEME.length).split('/');
  const [runId, commandId, hostId, stream] = parts;
  if (parts.length !== 4 || !runId || !commandId || !hostId) return undefined;
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  try {
    return {
      runId: decodeURIComponent(runId),
      commandId: decodeURIComponent(commandId),
      hostId: decodeURIComponent(hostId),
      stream,
    };
  } catch {
    return undefined;
  }
}

/**
 * @example
 * const outputs = new JournalOutputs({ client, tableName: config.journalTable });
 * const refs = await outputs.put(ids, { stdout: '{"ops": 12}\n', stderr: '' });
 * await outputs.read(refs.stdoutRef); // '{"ops": 12}\n'
 */
export class JournalOutputs {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  /**
   * Writes the item (unconditionally: every delivery of one answer carries the same output) and returns
   * its refs.
   */
  async put(ids: OutputIds, streams: KeptStreams): Promise<{ stdoutRef: string; stderrRef: string }> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: runPartitionKey(ids.runId),
          sk: outputSortKey(ids.commandId, ids.hostId),
          stdout: streams.stdout,
          stderr: streams.stderr,
          ...(streams.truncated ? { truncated: true } : {}),
        },
      }),
    );
    return { stdoutRef: journalOutputRef(ids, 'stdout'), stderrRef: journalOutputRef(ids, 'stderr') };
  }

  /** One stream, or with `maxBytes` its last whole lines within `maxBytes` bytes; '' when there is no item. */
  async read(ref: string, maxBytes?: number): Promise<string> {
    const parsed = parseJournalOutputRef(ref);
    if (!parsed) throw new Error(`not a journal output ref: ${ref}`);
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: runPartitionKey(parsed.runId), sk: outputSortKey(parsed.commandId, parsed.hostId) },
        ConsistentRead: true,
      }),
    );
    const text = out.Item?.[parsed.stream];
    return tail(typeof text === 'string' ? text : '', maxBytes);
  }
}

/** The whole lines of `text` within its last `maxBytes` bytes (the output stores' bounded read). */
export function tail(text: string, maxBytes?: number): string {
  if (maxBytes === undefined) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  return dropPartialFirstLine(
    bytes.subarray(bytes.length - Math.max(0, Math.floor(maxBytes))).toString('utf8'),
  );
}
