import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../lib/adapters/dynamodb/bounded-cache.js';

describe('Class: BoundedCache', () => {
  it('forgets the entry set longest ago once past its limit', () => {
    // Prepare
    const cache = new BoundedCache<number>(2);

    // Act: `a` is set again, so `b` is now the oldest
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);

    // Assess
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([3, undefined, 4]);
  });
});
