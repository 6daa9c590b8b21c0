/**
 * The outputs a run recorded on aws, as the CLI reads them (`fleetbench show <runId> --output <task>`):
 * kept in the journal (`journal:` refs, journal-outputs.ts) or copied to S3 (`s3://…`). A ref to an output
 * only SSM holds (`ssm:`, left when keeping it failed) is refused with where to find it instead.
 */
import { UsageError } from '../../core/errors.js';
import type { OutputStore } from '../../core/ports.js';
import { type JournalOutputs, parseJournalOutputRef } from '../dynamodb/journal-outputs.js';
import type { S3OutputStore } from './s3-output-store.js';

/**
 * @example
 * const outputs = new RecordedOutputs({ journal: new JournalOutputs({ client, tableName }), s3 });
 * await outputs.read(task.outputRef); // the task's stdout
 */
export class RecordedOutputs implements OutputStore {
  readonly #journal: JournalOutputs;
  readonly #s3: S3OutputStore;

  constructor(options: { readonly journal: JournalOutputs; readonly s3: S3OutputStore }) {
    this.#journal = options.journal;
    this.#s3 = options.s3;
  }

  async read(ref: string, maxBytes?: number): Promise<string> {
    if (ref.startsWith('s3://')) return this.#s3.read(ref, maxBytes);
    if (parseJournalOutputRef(ref)) return this.#journal.read(ref, maxBytes);
    throw new UsageError(`the output ${ref} was not kept by the run`, {
      hint: 'SSM keeps an invocation’s output 30 days: see the command in the Systems Manager Run Command console',
    });
  }
}
