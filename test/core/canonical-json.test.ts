import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../lib/core/canonical-json.js';

describe('Function: canonicalJson', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ z: [{ y: 1, x: 2 }], a: null }, '{"a":null,"z":[{"x":2,"y":1}]}'],
    [{ a: undefined, b: 'x' }, '{"b":"x"}'],
    [[3, 1, 2], '[3,1,2]'],
    ['text', '"text"'],
  ])('serialises %j as %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });
});
