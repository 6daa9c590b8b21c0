import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPluginRegistry, plugins } from '../../../lib/core/plugins/index.js';
import { shell } from '../../../lib/core/plugins/shell.js';
import { context, fixture } from './fixtures.js';

const MINIMAL_OPTIONS: Record<string, Record<string, unknown>> = {
  'cpu-hash': {},
  fio: {},
  iperf3: { server: 'host-1' },
  shell: { command: 'x' },
  'stress-ng': { stressor: 'cpu' },
  sysbench: { test: 'cpu' },
};

const docs = readFileSync(new URL('../../../docs/workloads.md', import.meta.url), 'utf8');

describe('Registry: plugins', () => {
  it('lists every built-in plugin, sorted', () => {
    expect(plugins.names()).toEqual(['cpu-hash', 'fio', 'iperf3', 'shell', 'stress-ng', 'sysbench']);
  });

  it('finds a plugin by name and nothing for an unknown name', () => {
    expect(plugins.get('fio')?.name).toBe('fio');
    expect(plugins.get('nosuch')).toBeUndefined();
  });

  it('refuses two plugins with one name', () => {
    expect(() => createPluginRegistry([shell, shell])).toThrow('two plugins are named shell');
  });

  describe.each(plugins.names())('plugin %s', (name) => {
    const plugin = plugins.get(name);
    const minimal = MINIMAL_OPTIONS[name] ?? {};

    it('describes itself and names the packages it needs', () => {
      expect(plugin?.description).not.toBe('');
      for (const r of plugin?.requires ?? []) {
        expect([r.binary, r.debian, r.amazonLinux]).not.toContain('');
      }
    });

    it('rejects an unknown option key', () => {
      expect(plugin?.optionsSchema.safeParse({ ...minimal, nosuch: 1 }).success).toBe(false);
    });

    it('builds an argv (only shell runs the user’s script) and estimates a duration', () => {
      const options = plugin?.optionsSchema.parse(minimal);

      const command = plugin?.command(options, context);

      expect(command && 'argv' in command).toBe(name !== 'shell');
      expect(plugin?.estimateSeconds(options)).toBeGreaterThanOrEqual(0);
    });

    it('has a section in docs/workloads.md', () => {
      expect(docs).toContain(`## \`${name}\``);
    });
  });

  it.each([
    ['cpu-hash', 'sha256', {}],
    ['fio', 'randrw', { rw: 'randrw' }],
    ['iperf3', 'client', { server: 'host-1' }],
    ['stress-ng', 'cpu', { stressor: 'cpu' }],
    ['sysbench', 'cpu', { test: 'cpu' }],
    ['sysbench', 'memory', { test: 'memory' }],
    ['sysbench', 'fileio', { test: 'fileio' }],
  ])('documents every metric %s reports for the %s fixture, with its unit', (name, fixtureName, input) => {
    const plugin = plugins.get(name);
    const options = plugin?.optionsSchema.parse(input);

    const metrics = plugin?.parse(fixture(name, fixtureName), options) ?? [];

    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) {
      expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(docs).toContain(`| \`${m.name}\` | ${m.unit} |`);
    }
  });
});
