import { describe, expect, it } from 'vitest';
import { envelopeJson } from '../../lib/core/cloudevent-envelope.js';
import { type CloudEvent, runStarted, runStateChanged } from '../../lib/core/cloudevents.js';

const base = {
  runId: 'demo-20250102-030405-i000',
  target: 'local' as const,
  time: '2025-01-02T03:04:05.000Z',
};
const started = runStarted({
  ...base,
  name: 'demo',
  planHash: 'ab',
  attempt: 1,
  hosts: ['host-1'],
  workloads: ['cpu'],
});

describe('Function: envelopeJson', () => {
  it('serialises each event as the SDK makes its CloudEvents 1.0 envelope, with nothing lost', async () => {
    // Prepare
    const changed = runStateChanged({
      ...base,
      from: 'INIT',
      to: 'RUNNING_GLOBAL_SETUP',
      reason: 'started',
      seq: 1,
    });

    // Act
    const json = await envelopeJson([started, changed]);

    // Assess: the same attributes and data, in order; the SDK writes no attribute of its own.
    expect(json.map((j) => JSON.parse(j))).toEqual([started, changed]);
    expect(JSON.parse(json[1] ?? '{}')).toMatchObject({
      specversion: '1.0',
      subject: 'RUNNING_GLOBAL_SETUP',
    });
  });

  it.each([
    ['a time that is not RFC 3339', { time: 'yesterday' }, /must match format .*date-time/],
    ['an empty type', { type: '' }, /must NOT have fewer than 1 characters/],
    ['an extension name in capitals', { RunId: 'x' }, /invalid extension name: RunId/],
    ['no source', { source: undefined }, /must have required property 'source'/],
  ])('refuses an event with %s', async (_, change, message) => {
    const broken = { ...started, ...change } as unknown as CloudEvent;

    await expect(envelopeJson([broken])).rejects.toThrow(message);
  });
});
