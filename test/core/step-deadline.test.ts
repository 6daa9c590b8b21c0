import { describe, expect, it } from 'vitest';
import { stepDeadlineSeconds } from '../../lib/core/step-deadline.js';

const plan = (extra: object = {}) => ({
  timeouts: { task: 60, stop: 30 },
  workloads: [{ name: 'slow', plugin: 'shell', options: {}, timeout: 300, setup: [], teardown: [] }],
  ...extra,
});

describe('stepDeadlineSeconds', () => {
  it.each([
    ['the task timeout plus the stop timeout', plan(), { hosts: 3 }, 90],
    ["the workload's own timeout when it has one", plan(), { workload: 'slow', hosts: 3 }, 330],
    ['one task timeout per wave of hosts beyond concurrency', plan({ concurrency: 2 }), { hosts: 5 }, 210],
    ['one wave when the hosts fit in concurrency', plan({ concurrency: 8 }), { hosts: 5 }, 90],
  ])('allows %s', (_what, p, step, expected) => {
    expect(stepDeadlineSeconds(p as never, step)).toBe(expected);
  });
});
