import { describe, expect, it } from 'vitest';
import { LocalHostProvider } from '../../../lib/adapters/local/local-host-provider.js';
import { UsageError } from '../../../lib/core/errors.js';
import type { HostsSpec } from '../../../lib/core/plan.js';

describe('Class: LocalHostProvider', () => {
  describe('Method: resolve', () => {
    it('names a count of hosts host-1..host-N, with the name as id and the loopback address', async () => {
      const hosts = await new LocalHostProvider().resolve('run-1', { local: 3 });

      expect(hosts).toEqual([
        { id: 'host-1', name: 'host-1', address: '127.0.0.1' },
        { id: 'host-2', name: 'host-2', address: '127.0.0.1' },
        { id: 'host-3', name: 'host-3', address: '127.0.0.1' },
      ]);
    });

    it('keeps listed host names in order', async () => {
      const hosts = await new LocalHostProvider().resolve('run-1', { local: ['db', 'web-1'] });

      expect(hosts).toEqual([
        { id: 'db', name: 'db', address: '127.0.0.1' },
        { id: 'web-1', name: 'web-1', address: '127.0.0.1' },
      ]);
    });

    it.each<[string, HostsSpec]>([
      ['instanceIds', { instanceIds: ['i-0123456789abcdef0'] }],
      ['tags', { tags: { team: 'perf' } }],
      ['provision', { provision: { count: 2, instanceType: 'c7g.large', ami: 'ami-0123456789abcdef0' } }],
    ])('rejects %s hosts with a UsageError pointing to --target aws', async (_kind, spec) => {
      const resolving = new LocalHostProvider().resolve('run-1', spec);

      await expect(resolving).rejects.toBeInstanceOf(UsageError);
      await expect(resolving).rejects.toThrow('hosts: instanceIds/tags/provision need --target aws');
    });
  });

  describe('Method: checkConnectivity', () => {
    it('reports hosts declared in hosts.unreachable unreachable, with the reason, and the rest reachable', async () => {
      const provider = new LocalHostProvider();
      const hosts = await provider.resolve('run-1', { local: 3, unreachable: ['host-2'] });

      const { reachable, unreachable } = await provider.checkConnectivity(hosts);

      expect(reachable.map((h) => h.id)).toEqual(['host-1', 'host-3']);
      expect(unreachable).toEqual([
        {
          host: { id: 'host-2', name: 'host-2', address: '127.0.0.1' },
          reason: 'host host-2 is unreachable (declared in hosts.unreachable)',
        },
      ]);
    });

    it("does not carry one run's unreachable hosts over to another run's hosts", async () => {
      const provider = new LocalHostProvider();
      await provider.resolve('run-1', { local: 2, unreachable: ['host-2'] });
      const other = await provider.resolve('run-2', { local: 2 });

      const { unreachable } = await provider.checkConnectivity(other);

      expect(unreachable).toEqual([]);
    });
  });
});
