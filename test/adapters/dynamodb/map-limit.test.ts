import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../lib/adapters/dynamodb/map-limit.js';

describe('Function: mapLimit', () => {
  it('keeps the input order with at most `limit` calls in flight', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const resolvers: (() => void)[] = [];

    // Act: every call waits until released, in reverse order
    const done = mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => resolvers.push(resolve));
      inFlight -= 1;
      return n * 10;
    });
    while (resolvers.length > 0 || inFlight > 0) {
      await Promise.resolve();
      resolvers.pop()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }

    // Assess
    expect(await done).toEqual([10, 20, 30, 40, 50]);
    expect(most).toBe(2);
  });
});
