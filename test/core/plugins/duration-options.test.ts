/**
 * Every duration-like plugin option takes the plan's duration syntax (the one of `timeouts`), normalised
 * to the whole seconds its tool counts in.
 */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../lib/core/plan.js';
import { plugins } from '../../../lib/core/plugins/index.js';

const DURATION_OPTIONS = [
  ['fio', 'runtime', {}],
  ['sysbench', 'time', { test: 'cpu' }],
  ['stress-ng', 'timeout', { stressor: 'cpu' }],
  ['iperf3', 'duration', { server: 'host-1' }],
  ['iperf3', 'linger', { server: 'host-1' }],
] as const;

function parseOption(plugin: string, base: object, option: string, value: unknown) {
  const schema = plugins.get(plugin)?.optionsSchema;
  if (!schema) throw new Error(`no plugin ${plugin}`);
  return schema.safeParse({ ...base, [option]: value });
}

describe.each(DURATION_OPTIONS)('Option: %s %s', (plugin, option, base) => {
  it.each([
    ['2s', 2],
    ['1m', 60],
    [7, 7],
  ])('takes %j as %d seconds', (value, seconds) => {
    const result = parseOption(plugin, base, option, value);

    expect(result.success && (result.data as Record<string, unknown>)[option]).toBe(seconds);
  });

  it.each([
    ['10x', 'invalid duration "10x"'],
    ['0s', 'must be longer than 0s'],
    ['1.5s', 'must be whole seconds'],
  ])('refuses %j with the message of timeouts', (value, message) => {
    const result = parseOption(plugin, base, option, value);

    expect(result.error?.issues.map((i) => i.message)).toEqual([expect.stringContaining(message)]);
  });
});

describe('Plan: duration options', () => {
  it('accepts `fio runtime: 2s` as `stress-ng timeout: 2s` is accepted', () => {
    const plan = parsePlan(
      `name: d
hosts: { local: 1 }
timeouts: { task: 2s }
workloads:
  - { name: disk, plugin: fio, options: { runtime: 2s } }
  - { name: cpu, plugin: stress-ng, options: { stressor: cpu, timeout: 2s } }
`,
      'plan.yaml',
      plugins,
    );

    expect(plan.timeouts.task).toBe(2);
    expect(plan.workloads.map((w) => w.options)).toEqual([
      expect.objectContaining({ runtime: 2 }),
      expect.objectContaining({ timeout: 2 }),
    ]);
  });
});
