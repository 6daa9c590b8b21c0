/**
 * The aws OutputStore. A host's output is first where SSM holds it (`ssm:` refs: what GetCommandInvocation
 * returns, for 30 days); `keep` moves it where it lasts: into the journal (journal-outputs.ts) when SSM
 * returned it whole, or to S3 through a copy command (ssm-output-spill.ts) when SSM may have cut it. An
 * output that could not be copied is kept as far as SSM returned it, marked truncated, with a warning.
 * `read` serves every kind of ref: `ssm:`, `journal:` (from what this container just kept, else the item),
 * and `s3://`.
 */
import type { Logger, OutputStore } from '../../core/ports.js';
import type { InvocationResult } from '../../core/run.js';
import { BoundedCache } from '../dynamodb/bounded-cache.js';
import { type JournalOutputs, parseJournalOutputRef, tail } from '../dynamodb/journal-outputs.js';
import type { S3OutputStore } from './s3-output-store.js';
import { parseSsmOutputRef, type SsmInvocationReader } from './ssm-invocation-reader.js';
import { mayBeCut } from './ssm-kept-output.js';
import type { SsmOutputSpill } from './ssm-output-spill.js';

/** Streams this container kept lately, by journal ref: the reads that follow a keep need no request. */
const RECENTLY_KEPT = 64;

/**
 * @example
 * const outputs = new SsmOutputStore({ s3, journal: journalOutputs, invocations, spill, logger });
 * const kept = await outputs.keep(result); // { stdoutRef: 'journal:…/stdout', stderrRef: 'journal:…/stderr' }
 */
export class SsmOutputStore implements OutputStore {
  readonly #s3: S3OutputStore;
  readonly #journal: JournalOutputs;
  readonly #invocations: SsmInvocationReader;
  readonly #spill: SsmOutputSpill;
  readonly #logger: Logger;
  readonly #recent = new BoundedCache<string>(RECENTLY_KEPT);

  constructor(options: {
    readonly s3: S3OutputStore;
    readonly journal: JournalOutputs;
    readonly invocations: SsmInvocationReader;
    readonly spill: SsmOutputSpill;
    readonly logger: Logger;
  }) {
    this.#s3 = options.s3;
    this.#journal = options.journal;
    this.#invocations = options.invocations;
    this.#spill = options.spill;
    this.#logger = options.logger;
  }

  async read(ref: string, maxBytes?: number): Promise<string> {
    if (ref.startsWith('s3://')) return this.#s3.read(ref, maxBytes);
    if (parseJournalOutputRef(ref)) {
      const recent = this.#recent.get(ref);
      return recent === undefined ? this.#journal.read(ref, maxBytes) : tail(recent, maxBytes);
    }
    const held = parseSsmOutputRef(ref);
    if (!held) throw new Error(`not an output ref of the aws target: ${ref}`);
    const invocation = await this.#invocations.get(held.commandId, held.instanceId);
    return tail(invocation[held.stream], maxBytes);
  }

  async keep(result: InvocationResult): Promise<Pick<InvocationResult, 'stdoutRef' | 'stderrRef'>> {
    const held = parseSsmOutputRef(result.stdoutRef);
    if (!held) {
      return {
        ...(result.stdoutRef !== undefined ? { stdoutRef: result.stdoutRef } : {}),
        ...(result.stderrRef !== undefined ? { stderrRef: result.stderrRef } : {}),
      };
    }
    const invocation = await this.#invocations.get(held.commandId, held.instanceId);
    const ids = { runId: result.runId, commandId: result.commandId, hostId: result.hostId };
    let truncated = false;
    if (mayBeCut(invocation)) {
      const copied = await this.#spill.copyToS3(ids);
      if (copied) return copied;
      truncated = true;
      this.#logger.warn(
        'an output SSM may have cut could not be copied from its host: kept as SSM returned it',
        {
          ...ids,
          stdoutChars: invocation.stdout.length,
          stderrChars: invocation.stderr.length,
        },
      );
    }
    if (invocation.stdout === '' && invocation.stderr === '') return {};
    const refs = await this.#journal.put(ids, {
      stdout: invocation.stdout,
      stderr: invocation.stderr,
      ...(truncated ? { truncated } : {}),
    });
    this.#recent.set(refs.stdoutRef, invocation.stdout);
    this.#recent.set(refs.stderrRef, invocation.stderr);
    return refs;
  }
}
