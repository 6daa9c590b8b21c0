/**
 * Local hosts: the plan's `hosts: { local: 3 }` (named host-1..host-3) or `{ local: [names] }`, each
 * later served by a worker process of the local command runner. A host's id is its name. Hosts listed
 * in `hosts.unreachable` are reported unreachable by checkConnectivity, so a plan can rehearse the
 * seed's ConnectivityService path (an excluded host, requireAllHosts) without a real outage.
 */

import { UsageError } from '../../core/errors.js';
import type { HostsSpec } from '../../core/plan.js';
import type { HostProvider } from '../../core/ports.js';
import type { Host } from '../../core/run.js';

type LocalHostsSpec = Extract<HostsSpec, { local: unknown }>;

/**
 * Resolves `hosts: { local: … }` plans.
 * @example
 * const provider = new LocalHostProvider();
 * const hosts = await provider.resolve('run-1', { local: 2, unreachable: ['host-2'] });
 * const { reachable, unreachable } = await provider.checkConnectivity(hosts); // host-1 | host-2
 */
export class LocalHostProvider implements HostProvider {
  /** Why a host resolve() returned is unreachable, keyed by the very Host object it returned. */
  private readonly declaredUnreachable = new WeakMap<Host, string>();

  async resolve(_runId: string, hosts: HostsSpec): Promise<Host[]> {
    const spec = asLocalSpec(hosts);
    const names =
      typeof spec.local === 'number'
        ? Array.from({ length: spec.local }, (_, i) => `host-${i + 1}`)
        : spec.local;
    const unreachable = new Set(spec.unreachable ?? []);
    return names.map((name) => {
      const host: Host = { id: name, name, address: '127.0.0.1' };
      if (unreachable.has(name)) {
        this.declaredUnreachable.set(host, `host ${name} is unreachable (declared in hosts.unreachable)`);
      }
      return host;
    });
  }

  async checkConnectivity(
    hosts: readonly Host[],
  ): Promise<{ reachable: Host[]; unreachable: { host: Host; reason: string }[] }> {
    const reachable: Host[] = [];
    const unreachable: { host: Host; reason: string }[] = [];
    for (const host of hosts) {
      const reason = this.declaredUnreachable.get(host);
      if (reason === undefined) reachable.push(host);
      else unreachable.push({ host, reason });
    }
    return { reachable, unreachable };
  }
}

function asLocalSpec(hosts: unknown): LocalHostsSpec {
  const spec = hosts as Partial<LocalHostsSpec> | null;
  const local = spec?.local;
  const names = Array.isArray(local) && local.every((n) => typeof n === 'string' && n !== '');
  const count = typeof local === 'number' && Number.isInteger(local) && local > 0;
  if (typeof spec === 'object' && spec !== null && 'local' in spec && !names && !count) {
    throw new UsageError('hosts.local must be a host count or a list of host names', {
      hint: 'e.g. hosts: { local: 3 }',
    });
  }
  if (!names && !count) {
    throw new UsageError('hosts: instanceIds/tags/provision need --target aws', {
      hint: 'for a local run, use hosts: { local: 3 } or hosts: { local: [name, …] }',
    });
  }
  const unreachable = spec?.unreachable;
  return {
    local: local as number | string[],
    ...(Array.isArray(unreachable) ? { unreachable: unreachable.filter((n) => typeof n === 'string') } : {}),
  };
}
