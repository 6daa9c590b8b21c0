import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import {
  SYSBENCH_FILEIO_SCRIPT,
  sysbench,
  sysbenchOptionsSchema,
} from '../../../lib/core/plugins/sysbench.js';
import { context, fixture, HOSTILE, unitsByName } from './fixtures.js';

const options = (input: Record<string, unknown>) => sysbenchOptionsSchema.parse(input);
const latencyUnits = { latency_avg_ms: 'ms', latency_p95_ms: 'ms', latency_max_ms: 'ms' };

describe('Plugin: sysbench', () => {
  describe('Schema: options', () => {
    it.each([
      ['cpu', { test: 'cpu', threads: 1, time: 10, cpuMaxPrime: 10_000 }],
      ['memory', { test: 'memory', threads: 1, time: 10, memoryBlockSize: '1K', memoryTotalSize: '10G' }],
      ['fileio', { test: 'fileio', threads: 1, time: 10, fileTestMode: 'rndrw', fileTotalSize: '64M' }],
    ])('fills the %s defaults', (test, expected) => {
      expect(options({ test })).toEqual(expected);
    });

    it.each([
      ['a missing test', {}],
      ['an unknown test', { test: 'oltp' }],
      ['an option of another test', { test: 'memory', cpuMaxPrime: 5000 }],
      ['an unknown key', { test: 'cpu', events: 100 }],
      ['zero threads', { test: 'cpu', threads: 0 }],
      ['a time that is not a duration', { test: 'cpu', time: 'ten' }],
      ['a fractional time (sysbench counts whole seconds)', { test: 'cpu', time: '500ms' }],
      ['an unknown file test mode', { test: 'fileio', fileTestMode: 'random' }],
      ['a hostile size', { test: 'fileio', fileTotalSize: `64M${HOSTILE}` }],
    ])('rejects %s', (_, input) => {
      expect(sysbenchOptionsSchema.safeParse(input).success).toBe(false);
    });
  });

  describe('Method: command', () => {
    it('runs cpu and memory tests directly', () => {
      expect(sysbench.command(options({ test: 'cpu', threads: 4, time: 5 }), context)).toEqual({
        argv: ['sysbench', 'cpu', '--threads=4', '--time=5', '--cpu-max-prime=10000', 'run'],
      });
      expect(sysbench.command(options({ test: 'memory' }), context)).toEqual({
        argv: [
          'sysbench',
          'memory',
          '--threads=1',
          '--time=10',
          '--memory-block-size=1K',
          '--memory-total-size=10G',
          'run',
        ],
      });
    });

    it('runs fileio through the constant prepare-run-cleanup script', () => {
      expect(sysbench.command(options({ test: 'fileio', fileTestMode: 'seqwr' }), context)).toEqual({
        argv: [
          'sh',
          '-c',
          SYSBENCH_FILEIO_SCRIPT,
          'sysbench',
          '--threads=1',
          '--time=10',
          '--file-test-mode=seqwr',
          '--file-total-size=64M',
        ],
      });
    });
  });

  describe('Method: parse', () => {
    it('reads events per second and latency from a real cpu run', () => {
      const metrics = sysbench.parse(fixture('sysbench', 'cpu'), options({ test: 'cpu' }));

      expect(unitsByName(metrics)).toEqual({ events_per_s: 'events/s', ...latencyUnits });
      expect(metrics.find((m) => m.name === 'events_per_s')?.value).toBeGreaterThan(0);
      expect(metrics.find((m) => m.name === 'latency_max_ms')?.value).toBeGreaterThan(0);
    });

    it('reads throughput and operations from a real memory run', () => {
      const metrics = sysbench.parse(fixture('sysbench', 'memory'), options({ test: 'memory' }));

      expect(unitsByName(metrics)).toEqual({
        memory_throughput_mib_s: 'MiB/s',
        memory_ops_per_s: 'ops/s',
        ...latencyUnits,
      });
      expect(metrics[0]?.value).toBeGreaterThan(0);
      expect(metrics[1]?.value).toBeGreaterThan(0);
    });

    it('reads every file rate from a real rndrw fileio run', () => {
      const metrics = sysbench.parse(fixture('sysbench', 'fileio'), options({ test: 'fileio' }));

      expect(unitsByName(metrics)).toEqual({
        reads_per_s: 'ops/s',
        writes_per_s: 'ops/s',
        fsyncs_per_s: 'ops/s',
        read_throughput_mib_s: 'MiB/s',
        write_throughput_mib_s: 'MiB/s',
        ...latencyUnits,
      });
      for (const m of metrics.slice(0, 5)) expect(m.value).toBeGreaterThan(0);
    });

    it('accepts zero writes from a read-only file test mode', () => {
      const metrics = sysbench.parse(
        fixture('sysbench', 'fileio-seqrd'),
        options({ test: 'fileio', fileTestMode: 'seqrd' }),
      );

      expect(metrics.find((m) => m.name === 'reads_per_s')?.value).toBeGreaterThan(0);
      expect(metrics.find((m) => m.name === 'writes_per_s')?.value).toBe(0);
    });

    it('throws when a writing mode reports zero writes', () => {
      expect(() =>
        sysbench.parse(
          fixture('sysbench', 'fileio-seqrd'),
          options({ test: 'fileio', fileTestMode: 'rndrw' }),
        ),
      ).toThrow(/^sysbench: writes\/s is 0, expected a positive number/);
    });

    it('throws on a truncated report', () => {
      const act = () => sysbench.parse(fixture('sysbench', 'cpu-truncated'), options({ test: 'cpu' }));

      expect(act).toThrow(PluginOutputError);
      expect(act).toThrow(/^sysbench: report has no "Latency \(ms\):" section/);
    });

    it('throws with sysbench’s FATAL line when fileio cannot create its files', () => {
      expect(() =>
        sysbench.parse(fixture('sysbench', 'fileio-unwritable'), options({ test: 'fileio' })),
      ).toThrow(
        'sysbench: no fileio report on stdout (no "General statistics:" section) (exit code 1; stderr: "FATAL: Can\'t open file errno = 2 (No such file or directory)")',
      );
    });

    it('throws when the report is for another test', () => {
      expect(() => sysbench.parse(fixture('sysbench', 'cpu'), options({ test: 'memory' }))).toThrow(
        /^sysbench: report has no numeric MiB\/sec transferred/,
      );
    });
  });

  describe('Method: measuredDurationMs', () => {
    it('backfills sysbench’s total time', () => {
      expect(sysbench.measuredDurationMs?.(fixture('sysbench', 'cpu'), options({ test: 'cpu' }))).toBeCloseTo(
        1000,
        -2,
      );
    });

    it('returns undefined when there is no report', () => {
      expect(
        sysbench.measuredDurationMs?.(fixture('sysbench', 'fileio-unwritable'), options({ test: 'fileio' })),
      ).toBeUndefined();
    });
  });

  describe('Method: estimateSeconds', () => {
    it('adds file preparation to fileio runs', () => {
      expect(sysbench.estimateSeconds(options({ test: 'cpu', time: 10 }))).toBe(11);
      expect(sysbench.estimateSeconds(options({ test: 'fileio', time: 10 }))).toBe(15);
    });
  });
});
