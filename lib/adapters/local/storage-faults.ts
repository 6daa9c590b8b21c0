/**
 * Storage faults answered, not thrown. dynalite passes a LevelDB error it does not know (a full disk, an
 * I/O error, a corrupt block met by a read) to `throw` inside LevelDB's callback: the process gets an
 * uncaught exception, the request is never answered, and the item lock dynalite took for it is never
 * released, so the next request on that item and every close waiting for the request hang for ever.
 * dynalite answers an error carrying a `statusCode` and a `body` like any DynamoDB error; this module makes
 * every LevelDB operation dynalite uses reject with such an error, so a storage fault reaches the caller of
 * the request as a typed DynamoDB error (`StorageIoError`, `StorageCorruption`), and the lock is released.
 *
 * A write that fails this way (a full disk) may leave the start of its record at the end of LevelDB's log.
 * The directories where a write failed are remembered, so the process that closes such a database can
 * trim that torn tail, which nobody was ever told was written (see database-damage.ts `trimTornLogTail`).
 */
import { isStorageIoError, STORAGE_CORRUPTION_ERROR, STORAGE_IO_ERROR } from '../../core/errors.js';
import { isCorruption } from './database-damage.js';

type LevelPrototype = Record<string, unknown>;
type Method = (this: unknown, ...args: unknown[]) => unknown;
type LevelInstance = { readonly location?: string };
type LevelIterator = { next: () => Promise<unknown>; nextv?: (...args: unknown[]) => Promise<unknown> };

const PATCHED = Symbol.for('fleetbench.storage-faults');
const WRITES = new Set(['put', 'del', 'batch']);
/** LevelDB directories where a write failed with an I/O error in this process. */
const faultedWrites = new Set<string>();

/**
 * Patches `Level` (the class dynalite opens its directory with) so storage faults become DynamoDB errors.
 * Idempotent; errors that are not storage faults (a missing key) pass unchanged.
 * @example
 * answerStorageFaults(Level); // before dynalite({ path }) opens the directory
 */
export function answerStorageFaults(Level: { prototype: object }): void {
  const proto = Level.prototype as LevelPrototype;
  if (proto[PATCHED as unknown as string]) return;
  for (const name of ['get', 'getMany', 'put', 'del', 'batch']) {
    const original = proto[name] as Method;
    proto[name] = function (this: LevelInstance, ...args: unknown[]) {
      const result = original.apply(this, args);
      // batch() with no operations returns a chained batch, not a promise: nothing to answer yet.
      if (!(result instanceof Promise)) return result;
      return result.catch((error: unknown) => {
        if (WRITES.has(name) && isStorageIoError(error) && this.location !== undefined)
          faultedWrites.add(this.location);
        throw answerable(error);
      });
    };
  }
  for (const name of ['iterator', 'keys', 'values']) {
    const original = proto[name] as Method;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const iterator = original.apply(this, args) as LevelIterator;
      const next = iterator.next.bind(iterator);
      iterator.next = () => next().catch(rethrowAnswerable);
      if (iterator.nextv) {
        const nextv = iterator.nextv.bind(iterator);
        iterator.nextv = (...a: unknown[]) => nextv(...a).catch(rethrowAnswerable);
      }
      return iterator;
    };
  }
  proto[PATCHED as unknown as string] = true;
}

/**
 * Whether a write to the LevelDB directory `location` failed with an I/O error in this process since the
 * last call; forgets it.
 * @example
 * if (takeWriteFault(dbPath)) await trimTornLogTail(dbPath); // after LevelDB is closed
 */
export function takeWriteFault(location: string): boolean {
  return faultedWrites.delete(location);
}

function rethrowAnswerable(error: unknown): never {
  throw answerable(error);
}

/** The error dynalite answers with for a storage fault, or `error` itself. */
export function answerable(error: unknown): unknown {
  const type = isCorruption(error)
    ? STORAGE_CORRUPTION_ERROR
    : isStorageIoError(error)
      ? STORAGE_IO_ERROR
      : undefined;
  if (type === undefined) return error;
  const message = `the journal's storage failed: ${messageOf(error)}`;
  return Object.assign(new Error(message, { cause: error }), {
    statusCode: 500,
    body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message },
  });
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // classic-level wraps LevelDB's own status ("IO error: …: No space left on device") as the cause.
  return error.cause instanceof Error ? error.cause.message : error.message;
}
