import { describe, expect, it } from 'vitest';
import { PluginOutputError } from '../../../lib/core/errors.js';
import { fio, fioOptionsSchema } from '../../../lib/core/plugins/fio.js';
import { context, fixture, HOSTILE, unitsByName } from './fixtures.js';

const options = (input: Record<string, unknown>) => fioOptionsSchema.parse(input);

const readUnits = {
  read_iops: 'ops/s',
  read_bw_mib_s: 'MiB/s',
  read_clat_p50_us: 'us',
  read_clat_p99_us: 'us',
};
const writeUnits = {
  write_iops: 'ops/s',
  write_bw_mib_s: 'MiB/s',
  write_clat_p50_us: 'us',
  write_clat_p99_us: 'us',
};

describe('Plugin: fio', () => {
  describe('Schema: options', () => {
    it('has defaults that run on any fio build and filesystem', () => {
      expect(options({})).toEqual({
        rw: 'randread',
        bs: '4k',
        size: '64m',
        runtime: 10,
        iodepth: 16,
        numjobs: 1,
        ioengine: 'psync',
        directory: '.',
        direct: false,
        name: 'fleetbench',
      });
    });

    it.each([
      ['an unknown rw mode', { rw: 'trim' }],
      ['a block size with shell characters', { bs: `4k${HOSTILE}` }],
      ['a size without digits', { size: 'm' }],
      ['a zero runtime', { runtime: 0 }],
      ['a runtime that is not a duration', { runtime: '10 seconds' }],
      ['a fractional runtime (fio counts whole seconds)', { runtime: '1.5s' }],
      ['a zero iodepth', { iodepth: 0 }],
      ['an ioengine with spaces', { ioengine: 'lib aio' }],
      ['direct as a number', { direct: 1 }],
      ['a job name with a slash', { name: 'a/b' }],
      ['an empty directory', { directory: '' }],
      ['an unknown key', { filename: '/dev/sda' }],
    ])('rejects %s', (_, input) => {
      expect(fioOptionsSchema.safeParse(input).success).toBe(false);
    });
  });

  describe('Method: command', () => {
    it('builds a time-based, group-reported JSON job', () => {
      const command = fio.command(options({ rw: 'randrw', direct: true, numjobs: 4 }), context);

      expect(command).toEqual({
        argv: [
          'fio',
          '--name=fleetbench',
          '--directory=.',
          '--rw=randrw',
          '--bs=4k',
          '--size=64m',
          '--runtime=10',
          '--time_based',
          '--iodepth=16',
          '--numjobs=4',
          '--ioengine=psync',
          '--direct=1',
          '--unlink=1',
          '--group_reporting',
          '--output-format=json',
        ],
      });
    });

    it('keeps a hostile directory inside its single argv element', () => {
      const command = fio.command(options({ directory: HOSTILE }), context);

      expect('argv' in command && command.argv.filter((a) => a.includes(HOSTILE))).toEqual([
        `--directory=${HOSTILE}`,
      ]);
      expect('argv' in command && command.argv).toHaveLength(15);
    });
  });

  describe('Method: parse', () => {
    it('reads IOPS, bandwidth and clat percentiles of a real randread job', () => {
      const metrics = fio.parse(fixture('fio', 'randread'), options({ rw: 'randread' }));

      expect(unitsByName(metrics)).toEqual(readUnits);
      for (const m of metrics) expect(m.value).toBeGreaterThan(0);
    });

    it('reads both directions of a real two-job randrw run whose stdout starts with fio notes', () => {
      const output = fixture('fio', 'randrw');
      const metrics = fio.parse(output, options({ rw: 'randrw', numjobs: 2 }));

      expect(output.stdout.startsWith('note:')).toBe(true);
      expect(unitsByName(metrics)).toEqual({ ...readUnits, ...writeUnits });
      for (const m of metrics) expect(m.value).toBeGreaterThan(0);
    });

    it('reads the write direction of a real sequential write job', () => {
      const metrics = fio.parse(fixture('fio', 'write'), options({ rw: 'write' }));

      expect(unitsByName(metrics)).toEqual(writeUnits);
      for (const m of metrics) expect(m.value).toBeGreaterThan(0);
    });

    it('converts KiB/s to MiB/s and clat nanoseconds to microseconds', () => {
      const output = fixture('fio', 'randread');
      const report = JSON.parse(output.stdout.slice(output.stdout.indexOf('\n{'))) as {
        jobs: [{ read: { bw: number; clat_ns: { percentile: Record<string, number> } } }];
      };
      const { read } = report.jobs[0];

      const metrics = fio.parse(output, options({}));

      expect(metrics.find((m) => m.name === 'read_bw_mib_s')?.value).toBeCloseTo(read.bw / 1024);
      expect(metrics.find((m) => m.name === 'read_clat_p99_us')?.value).toBeCloseTo(
        (read.clat_ns.percentile['99.000000'] ?? Number.NaN) / 1000,
      );
    });

    it('throws on a truncated report', () => {
      const act = () => fio.parse(fixture('fio', 'randread-truncated'), options({}));

      expect(act).toThrow(PluginOutputError);
      expect(act).toThrow(/^fio: JSON report on stdout is truncated or malformed/);
    });

    it('throws with fio’s own complaint for a directory that does not exist', () => {
      expect(() => fio.parse(fixture('fio', 'bad-directory'), options({}))).toThrow(
        'fio: no JSON report on stdout (exit code 1; stderr: "fio: failed parsing directory=/nonexistent/fleetbench")',
      );
    });

    it('throws when a direction the job should exercise has zero IOPS', () => {
      expect(() => fio.parse(fixture('fio', 'randread'), options({ rw: 'randwrite' }))).toThrow(
        /^fio: write\.iops is 0, expected a positive number/,
      );
    });

    it('throws when the job reports an error', () => {
      const real = fixture('fio', 'randread');
      const failed = { ...real, stdout: real.stdout.replace('"error" : 0', '"error" : 5') };

      expect(() => fio.parse(failed, options({}))).toThrow(/^fio: job reports error 5/);
    });
  });

  describe('Method: measuredDurationMs', () => {
    it('backfills the job runtime', () => {
      expect(fio.measuredDurationMs?.(fixture('fio', 'randrw'), options({ rw: 'randrw' }))).toBeCloseTo(
        1000,
        -2,
      );
    });

    it('returns undefined for unusable output', () => {
      expect(fio.measuredDurationMs?.(fixture('fio', 'bad-directory'), options({}))).toBeUndefined();
    });
  });

  describe('Method: estimateSeconds', () => {
    it('is the runtime plus the file layout', () => {
      expect(fio.estimateSeconds(options({ runtime: 30 }))).toBe(32);
    });
  });
});
