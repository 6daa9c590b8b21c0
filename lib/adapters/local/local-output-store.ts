/**
 * Reads command output the local runner captured to files. Refs are the absolute paths the runner put
 * in InvocationResult.stdoutRef/stderrRef; a missing file reads as empty, because a command that never
 * started (or wrote nothing before its host went away) has no output to show.
 *
 * A bounded read (what on-invocation-status does twice per host-task) is synchronous: the file is local
 * and at most `maxBytes` are read, which takes microseconds, while four thread-pool round trips (open,
 * stat, read, close) cost ~0.25 ms each read and compete with LevelDB for the same threads.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { FleetbenchError } from '../../core/errors.js';
import { dropPartialFirstLine } from '../../core/output-tail.js';
import type { OutputStore } from '../../core/ports.js';

/** A captured output exists but cannot be read (a directory, no permission). */
export class OutputReadError extends FleetbenchError {
  readonly code = 'OUTPUT_READ';
}

/**
 * Output store over local files.
 * @example
 * const text = await new LocalOutputStore().read(result.stdoutRef ?? '', 64 * 1024);
 */
export class LocalOutputStore implements OutputStore {
  /** Returns the file's text or, with `maxBytes`, its last `maxBytes` bytes in whole lines (as the S3 store). */
  async read(ref: string, maxBytes?: number): Promise<string> {
    return maxBytes === undefined ? readWhole(ref) : readTail(ref, maxBytes);
  }
}

async function readWhole(ref: string): Promise<string> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(ref, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw readError(ref, error);
  }
  try {
    return await file.readFile('utf8');
  } catch (error) {
    throw readError(ref, error);
  } finally {
    await file.close();
  }
}

function readTail(ref: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(ref, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw readError(ref, error);
  }
  try {
    const { size } = fstatSync(fd);
    const start = Math.max(0, size - Math.max(0, Math.floor(maxBytes)));
    const buffer = Buffer.alloc(size - start);
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const text = buffer.subarray(0, filled).toString('utf8');
    return start > 0 ? dropPartialFirstLine(text) : text;
  } catch (error) {
    throw readError(ref, error);
  } finally {
    closeSync(fd);
  }
}

function readError(ref: string, error: unknown): OutputReadError {
  return new OutputReadError(`cannot read output ${ref}: ${(error as Error).message}`, { cause: error });
}
