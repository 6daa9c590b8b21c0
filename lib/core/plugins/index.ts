/**
 * The plugin registry: the one place that knows every workload plugin. The plan schema validates a
 * workload's options with `get(name).optionsSchema`, run-command builds commands with it and
 * on-invocation-status parses outputs with it. Adding a plugin means one file and one line here.
 */
import { cpuHash } from './cpu-hash.js';
import { fio } from './fio.js';
import { iperf3 } from './iperf3.js';
import { shell } from './shell.js';
import { stressNg } from './stress-ng.js';
import { sysbench } from './sysbench.js';
import type { WorkloadPlugin } from './types.js';

export type PluginRegistry = {
  get(name: string): WorkloadPlugin | undefined;
  /** Plugin names, sorted. */
  names(): readonly string[];
};

/**
 * A registry over the given plugins; tests build one with a fake plugin.
 * @example
 * const registry = createPluginRegistry([shell, cpuHash]);
 * registry.names(); // ['cpu-hash', 'shell']
 */
export function createPluginRegistry(list: readonly WorkloadPlugin[]): PluginRegistry {
  const byName = new Map<string, WorkloadPlugin>();
  for (const plugin of list) {
    if (byName.has(plugin.name)) throw new Error(`two plugins are named ${plugin.name}`);
    byName.set(plugin.name, plugin);
  }
  const names = Object.freeze([...byName.keys()].sort());
  return {
    get: (name) => byName.get(name),
    names: () => names,
  };
}

/**
 * Every built-in plugin.
 * @example
 * plugins.get('fio')?.optionsSchema.parse({ rw: 'randwrite' });
 * plugins.names(); // ['cpu-hash', 'fio', 'iperf3', 'shell', 'stress-ng', 'sysbench']
 */
export const plugins: PluginRegistry = createPluginRegistry([
  cpuHash,
  fio,
  iperf3,
  shell,
  stressNg,
  sysbench,
]);
