/**
 * Bounded concurrency for the journal's fan-outs (batch writes, one conditional update per task): enough
 * requests in flight to hide the round trip, few enough not to throttle a table or exhaust sockets.
 */

/**
 * Maps with at most `limit` calls in flight; results keep the input order.
 * @example
 * await mapLimit([1, 2, 3], 2, async (n) => n * 2); // [2, 4, 6]
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
