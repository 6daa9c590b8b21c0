import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import { CPU_HASH_SCRIPT, cpuHash, cpuHashOptionsSchema } from '../../../lib/core/plugins/cpu-hash.js';
import { context, fixture, HOSTILE, unitsByName } from './fixtures.js';

const defaults = cpuHashOptionsSchema.parse({});
const line = (fields: string) => ({ stdout: `{"tool":"cpu-hash",${fields}}\n`, stderr: '', exitCode: 0 });

describe('Plugin: cpu-hash', () => {
  describe('Schema: options', () => {
    it('hashes 64 MiB with sha256 by default', () => {
      expect(defaults).toEqual({ algorithm: 'sha256', sizeMiB: 64 });
    });

    it.each([
      ['an unknown algorithm', { algorithm: 'sha3' }],
      ['a hostile algorithm', { algorithm: HOSTILE }],
      ['a size of 0', { sizeMiB: 0 }],
      ['a size above 4096', { sizeMiB: 4097 }],
      ['a fractional size', { sizeMiB: 1.5 }],
      ['a size given as a string', { sizeMiB: '64' }],
      ['an unknown key', { sizeMb: 64 }],
    ])('rejects %s', (_, input) => {
      expect(cpuHashOptionsSchema.safeParse(input).success).toBe(false);
    });
  });

  describe('Method: command', () => {
    it('passes the options as arguments of a constant sh script', () => {
      const command = cpuHash.command({ algorithm: 'md5', sizeMiB: 16 }, context);

      expect(command).toEqual({ argv: ['sh', '-c', CPU_HASH_SCRIPT, 'cpu-hash', 'md5', '16'] });
    });

    it('keeps the script free of option values', () => {
      const a = cpuHash.command({ algorithm: 'md5', sizeMiB: 1 }, context);
      const b = cpuHash.command({ algorithm: 'sha512', sizeMiB: 4096 }, context);

      expect('argv' in a && 'argv' in b && a.argv[2] === b.argv[2]).toBe(true);
    });
  });

  describe('Method: parse', () => {
    it.each(['sha256', 'md5'])('reads throughput and elapsed time from a real %s run', (name) => {
      const metrics = cpuHash.parse(fixture('cpu-hash', name), defaults);

      expect(unitsByName(metrics)).toEqual({ hash_throughput: 'MiB/s', elapsed: 's' });
      for (const m of metrics) expect(m.value).toBeGreaterThan(0);
    });

    it('computes throughput from the size and the nanosecond elapsed time', () => {
      const metrics = cpuHash.parse(
        line('"algorithm":"sha256","size_mib":64,"elapsed_ns":500000000'),
        defaults,
      );

      expect(metrics).toEqual([
        { name: 'hash_throughput', value: 128, unit: 'MiB/s' },
        { name: 'elapsed', value: 0.5, unit: 's' },
      ]);
    });

    it('throws on a truncated result line', () => {
      const act = () => cpuHash.parse(fixture('cpu-hash', 'sha256-truncated'), defaults);

      expect(act).toThrow(PluginOutputError);
      expect(act).toThrow(/^cpu-hash: the JSON result line is truncated or malformed/);
    });

    it('throws with the script’s own complaint when there is no result line', () => {
      expect(() => cpuHash.parse(fixture('cpu-hash', 'unsupported-algorithm'), defaults)).toThrow(
        `cpu-hash: no JSON result line on stdout (exit code 2; stderr: "cpu-hash: unsupported algorithm 'sha3' (md5, sha1, sha256, sha512)")`,
      );
    });

    it('names the missing tool when coreutils are not on the PATH', () => {
      expect(() => cpuHash.parse(fixture('cpu-hash', 'no-coreutils'), defaults)).toThrow(
        /sha256sum: not found/,
      );
    });

    it.each([
      ['a zero elapsed time', '"size_mib":64,"elapsed_ns":0', /elapsed_ns is 0, expected a positive number/],
      ['a missing size', '"elapsed_ns":5', /report has no numeric size_mib/],
    ])('throws on %s rather than reporting a zero throughput', (_, fields, message) => {
      expect(() => cpuHash.parse(line(fields), defaults)).toThrow(message);
    });
  });

  describe('Method: measuredDurationMs', () => {
    it('reports the hash time in milliseconds', () => {
      expect(cpuHash.measuredDurationMs?.(line('"size_mib":64,"elapsed_ns":250000000'), defaults)).toBe(250);
    });

    it('returns undefined instead of throwing on unusable output', () => {
      expect(cpuHash.measuredDurationMs?.(fixture('cpu-hash', 'sha256-truncated'), defaults)).toBeUndefined();
    });
  });

  describe('Method: estimateSeconds', () => {
    it('grows with the size to hash', () => {
      expect(cpuHash.estimateSeconds({ algorithm: 'sha256', sizeMiB: 1 })).toBe(1);
      expect(cpuHash.estimateSeconds({ algorithm: 'sha256', sizeMiB: 4096 })).toBeGreaterThan(10);
    });
  });
});
