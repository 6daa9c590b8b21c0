import { describe, expect, it } from 'vitest';
import { durationSchema } from '../../lib/core/duration-schema.js';

const issues = (schema: ReturnType<typeof durationSchema>, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => i.message);
};

describe('Schema: durationSchema', () => {
  const plain = durationSchema({ maxSeconds: 3600 });
  const whole = durationSchema({ maxSeconds: 86_400, wholeSeconds: true });

  it.each([
    ['2s', 2],
    ['1m30s', 90],
    ['500ms', 0.5],
    [45, 45],
    ['45', 45],
  ])('reads %j as %d seconds', (value, seconds) => {
    expect(plain.parse(value)).toBe(seconds);
  });

  it.each([
    ['10x', /^invalid duration "10x": expected a number of seconds or a duration like/],
    [[1], /^expected a duration such as 30s, 10m or a number of seconds, got a list$/],
    ['0s', /^must be longer than 0s$/],
    ['2h', /^must be at most 1h$/],
  ])('refuses %j saying why', (value, message) => {
    expect(issues(plain, value)).toEqual([expect.stringMatching(message)]);
  });

  it('hints at the syntax when a duration does not parse', () => {
    const result = plain.safeParse('soon');

    expect(result.error?.issues[0]).toMatchObject({ params: { hint: expect.stringContaining('30s, 10m') } });
  });

  it('refuses a fraction of a second where the tool counts whole seconds', () => {
    expect(issues(whole, '1.5s')).toEqual(['must be whole seconds (the tool counts in seconds), got 1.5s']);
    expect(whole.parse('2m')).toBe(120);
  });
});
