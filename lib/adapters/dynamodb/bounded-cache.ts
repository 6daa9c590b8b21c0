/**
 * A small map that forgets its oldest entry past a limit. The journal keeps what never changes once
 * written (a run's META within an attempt, a command's spec) for the life of a Lambda container or of
 * the local engine; the limit keeps a long-lived process from growing with every run it ever served.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();

  /** @param limit the most entries kept; the one set longest ago goes first. */
  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  /** Forgets `key` (a value that did change, e.g. a command's token on a retried step). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * Keeps `value` under `key` as the newest entry, forgetting the oldest past the limit.
   * @example
   * const cache = new BoundedCache<number>(1);
   * cache.set('a', 1); cache.set('b', 2); cache.get('a'); // undefined
   */
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }
}
