/**
 * `fio`: one time-based fio job (or `numjobs` identical ones, reported as a group) and its IOPS,
 * bandwidth and completion-latency percentiles from fio's JSON report.
 *
 * The defaults favour running anywhere over peak numbers: `psync` exists in every fio build (libaio
 * and io_uring may not), buffered I/O works on tmpfs and overlay filesystems that refuse O_DIRECT, and
 * `--unlink=1` removes the job's file so repetitions do not fill the working directory. Which
 * directions must be in the report follows from `rw`, so a read job with zero read IOPS is an error,
 * not a row of zeros.
 */
import { z } from 'zod';
import { durationSchema } from '../duration-schema.js';
import { isRecord, jsonReport, outputError, positive, toNumber } from './output.js';
import type { CommandOutput, Metric, WorkloadPlugin } from './types.js';

const TOOL = 'fio';
const SIZE = /^[1-9][0-9]*[kmgt]?$/i;

export const fioOptionsSchema = z.strictObject({
  rw: z.enum(['read', 'write', 'randread', 'randwrite', 'randrw', 'rw']).default('randread'),
  bs: z.string().regex(SIZE, 'a size such as 4k or 1m').default('4k'),
  size: z.string().regex(SIZE, 'a size such as 64m or 1g').default('64m'),
  runtime: durationSchema({ maxSeconds: 86_400, wholeSeconds: true }).default(10),
  iodepth: z.int().min(1).max(4096).default(16),
  numjobs: z.int().min(1).max(1024).default(1),
  ioengine: z
    .string()
    .regex(/^[a-z0-9_]+$/, 'an fio ioengine name such as psync, libaio, io_uring')
    .default('psync'),
  directory: z.string().min(1).default('.'),
  direct: z.boolean().default(false),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - (fio names its files after it)')
    .default('fleetbench'),
});

export type FioOptions = z.output<typeof fioOptionsSchema>;

type Direction = 'read' | 'write';

function directions(rw: FioOptions['rw']): Direction[] {
  if (rw === 'randrw' || rw === 'rw') return ['read', 'write'];
  return rw.endsWith('read') ? ['read'] : ['write'];
}

/** The group-reported job: with `--group_reporting` fio prints one job entry for all `numjobs`. */
function groupJob(output: CommandOutput): Record<string, unknown> {
  const report = jsonReport(TOOL, output);
  const job = Array.isArray(report.jobs) ? report.jobs[0] : undefined;
  if (!isRecord(job)) throw outputError(TOOL, 'JSON report has no jobs', output);
  const error = toNumber(job.error);
  if (error !== undefined && error !== 0) throw outputError(TOOL, `job reports error ${error}`, output);
  return job;
}

function percentileUs(
  stats: Record<string, unknown>,
  key: string,
  field: string,
  output: CommandOutput,
): number {
  const clat = isRecord(stats.clat_ns) ? stats.clat_ns : undefined;
  const percentiles = clat && isRecord(clat.percentile) ? clat.percentile : undefined;
  return positive(TOOL, field, percentiles?.[key], output) / 1000;
}

function directionMetrics(
  job: Record<string, unknown>,
  direction: Direction,
  output: CommandOutput,
): Metric[] {
  const stats = job[direction];
  if (!isRecord(stats)) throw outputError(TOOL, `JSON report has no ${direction} section`, output);
  return [
    {
      name: `${direction}_iops`,
      value: positive(TOOL, `${direction}.iops`, stats.iops, output),
      unit: 'ops/s',
    },
    {
      name: `${direction}_bw_mib_s`,
      value: positive(TOOL, `${direction}.bw`, stats.bw, output) / 1024,
      unit: 'MiB/s',
    },
    {
      name: `${direction}_clat_p50_us`,
      value: percentileUs(stats, '50.000000', `${direction}.clat_ns.percentile.50`, output),
      unit: 'us',
    },
    {
      name: `${direction}_clat_p99_us`,
      value: percentileUs(stats, '99.000000', `${direction}.clat_ns.percentile.99`, output),
      unit: 'us',
    },
  ];
}

/**
 * Runs `fio --output-format=json --time_based --group_reporting …` and reads its JSON report.
 * @example
 * fio.command(fioOptionsSchema.parse({ rw: 'randread', runtime: 5 }), context);
 * // { argv: ['fio', '--name=fleetbench', '--directory=.', '--rw=randread', '--bs=4k', …, '--output-format=json'] }
 * fio.parse(output, options);
 * // [{ name: 'read_iops', value: 18950.05, unit: 'ops/s' }, { name: 'read_bw_mib_s', … }, …]
 */
export const fio: WorkloadPlugin<FioOptions> = {
  name: 'fio',
  description: 'fio time-based job; IOPS, bandwidth and clat p50/p99 per direction from its JSON report',
  optionsSchema: fioOptionsSchema,
  requires: [{ binary: 'fio', debian: 'fio', amazonLinux: 'fio' }],

  command(options) {
    return {
      argv: [
        'fio',
        `--name=${options.name}`,
        `--directory=${options.directory}`,
        `--rw=${options.rw}`,
        `--bs=${options.bs}`,
        `--size=${options.size}`,
        `--runtime=${options.runtime}`,
        '--time_based',
        `--iodepth=${options.iodepth}`,
        `--numjobs=${options.numjobs}`,
        `--ioengine=${options.ioengine}`,
        `--direct=${options.direct ? 1 : 0}`,
        '--unlink=1',
        '--group_reporting',
        '--output-format=json',
      ],
    };
  },

  parse(output, options) {
    const job = groupJob(output);
    return directions(options.rw).flatMap((d) => directionMetrics(job, d, output));
  },

  estimateSeconds(options) {
    return options.runtime + 2;
  },

  measuredDurationMs(output, options) {
    try {
      const job = groupJob(output);
      const runtimes = directions(options.rw).map((d) => {
        const stats = job[d];
        return isRecord(stats) ? (toNumber(stats.runtime) ?? 0) : 0;
      });
      const ms = Math.max(...runtimes);
      return ms > 0 ? ms : undefined;
    } catch {
      return undefined;
    }
  },
};
