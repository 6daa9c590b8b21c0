/**
 * `sysbench`: the cpu, memory and fileio tests, read from sysbench's text report (sysbench 1.0 has no
 * machine-readable output for the built-in tests).
 *
 * Options are a union on `test`, so an option of another test (`cpuMaxPrime` on a memory run) is an
 * error instead of being ignored. fileio needs its files prepared before and removed after the run; a
 * constant script does the three steps with the same "$@", sends prepare and cleanup chatter to stderr
 * so stdout holds only the run's report, and cleans up even when the run fails or is cancelled.
 */
import { z } from 'zod';
import { durationSchema } from '../duration-schema.js';
import { nonNegative, outputError, positive } from './output.js';
import type { CommandOutput, Metric, WorkloadPlugin } from './types.js';

const TOOL = 'sysbench';
const SIZE = /^[1-9][0-9]*[KMGT]?$/i;

/** `sysbench fileio "$@" prepare`, then `run` (its report on stdout), then `cleanup` whatever happened. */
export const SYSBENCH_FILEIO_SCRIPT = `trap 'sysbench fileio "$@" cleanup >&2' EXIT
trap 'exit 143' HUP INT TERM
sysbench fileio "$@" prepare >&2 || exit
sysbench fileio "$@" run
`;

const common = {
  threads: z.int().min(1).max(4096).default(1),
  time: durationSchema({ maxSeconds: 86_400, wholeSeconds: true }).default(10),
};

export const sysbenchOptionsSchema = z.discriminatedUnion('test', [
  z.strictObject({
    test: z.literal('cpu'),
    ...common,
    cpuMaxPrime: z.int().min(2).default(10_000),
  }),
  z.strictObject({
    test: z.literal('memory'),
    ...common,
    memoryBlockSize: z.string().regex(SIZE, 'a size such as 1K or 1M').default('1K'),
    memoryTotalSize: z.string().regex(SIZE, 'a size such as 10G').default('10G'),
  }),
  z.strictObject({
    test: z.literal('fileio'),
    ...common,
    fileTestMode: z.enum(['seqwr', 'seqrewr', 'seqrd', 'rndrd', 'rndwr', 'rndrw']).default('rndrw'),
    fileTotalSize: z.string().regex(SIZE, 'a size such as 64M or 1G').default('64M'),
  }),
]);

export type SysbenchOptions = z.output<typeof sysbenchOptionsSchema>;
type FileioOptions = Extract<SysbenchOptions, { test: 'fileio' }>;

/** The number after `label` on its line of the report, e.g. `events per second:  2976.80`. */
function field(output: CommandOutput, label: RegExp): string | undefined {
  return label.exec(output.stdout)?.[1];
}

function cpuMetrics(output: CommandOutput): Metric[] {
  const eventsPerSecond = field(output, /^\s*events per second:\s*([\d.]+)/m);
  return [
    {
      name: 'events_per_s',
      value: positive(TOOL, 'events per second', eventsPerSecond, output),
      unit: 'events/s',
    },
  ];
}

function memoryMetrics(output: CommandOutput): Metric[] {
  const ops = field(output, /^Total operations: \d+ \(([\d.]+) per second\)/m);
  const mib = field(output, /^[\d.]+ MiB transferred \(([\d.]+) MiB\/sec\)/m);
  return [
    {
      name: 'memory_throughput_mib_s',
      value: positive(TOOL, 'MiB/sec transferred', mib, output),
      unit: 'MiB/s',
    },
    { name: 'memory_ops_per_s', value: positive(TOOL, 'operations per second', ops, output), unit: 'ops/s' },
  ];
}

function fileioMetrics(output: CommandOutput, options: FileioOptions): Metric[] {
  const reads = field(output, /^\s*reads\/s:\s*([\d.]+)/m);
  const writes = field(output, /^\s*writes\/s:\s*([\d.]+)/m);
  const fsyncs = field(output, /^\s*fsyncs\/s:\s*([\d.]+)/m);
  const readMiB = field(output, /^\s*read, MiB\/s:\s*([\d.]+)/m);
  const writtenMiB = field(output, /^\s*written, MiB\/s:\s*([\d.]+)/m);
  const mode = options.fileTestMode;
  const reading = mode === 'seqrd' || mode === 'rndrd' || mode === 'rndrw';
  const writing = mode !== 'seqrd' && mode !== 'rndrd';
  const read = reading ? positive : nonNegative;
  const write = writing ? positive : nonNegative;
  return [
    { name: 'reads_per_s', value: read(TOOL, 'reads/s', reads, output), unit: 'ops/s' },
    { name: 'writes_per_s', value: write(TOOL, 'writes/s', writes, output), unit: 'ops/s' },
    { name: 'fsyncs_per_s', value: nonNegative(TOOL, 'fsyncs/s', fsyncs, output), unit: 'ops/s' },
    { name: 'read_throughput_mib_s', value: read(TOOL, 'read MiB/s', readMiB, output), unit: 'MiB/s' },
    {
      name: 'write_throughput_mib_s',
      value: write(TOOL, 'written MiB/s', writtenMiB, output),
      unit: 'MiB/s',
    },
  ];
}

function latencyMetrics(output: CommandOutput): Metric[] {
  const section = /^Latency \(ms\):\n([\s\S]*?)\n\s*\n/m.exec(output.stdout)?.[1];
  if (section === undefined) throw outputError(TOOL, 'report has no "Latency (ms):" section', output);
  const value = (label: string) => new RegExp(`^\\s*${label}:\\s*([\\d.]+)`, 'm').exec(section)?.[1];
  return [
    { name: 'latency_avg_ms', value: nonNegative(TOOL, 'latency avg', value('avg'), output), unit: 'ms' },
    {
      name: 'latency_p95_ms',
      value: nonNegative(TOOL, 'latency 95th percentile', value('95th percentile'), output),
      unit: 'ms',
    },
    { name: 'latency_max_ms', value: nonNegative(TOOL, 'latency max', value('max'), output), unit: 'ms' },
  ];
}

function testArgs(options: SysbenchOptions): string[] {
  const shared = [`--threads=${options.threads}`, `--time=${options.time}`];
  switch (options.test) {
    case 'cpu':
      return [...shared, `--cpu-max-prime=${options.cpuMaxPrime}`];
    case 'memory':
      return [
        ...shared,
        `--memory-block-size=${options.memoryBlockSize}`,
        `--memory-total-size=${options.memoryTotalSize}`,
      ];
    case 'fileio':
      return [
        ...shared,
        `--file-test-mode=${options.fileTestMode}`,
        `--file-total-size=${options.fileTotalSize}`,
      ];
  }
}

/**
 * Runs `sysbench <test> … run` (fileio: prepare, run, cleanup) and reads its text report.
 * @example
 * sysbench.command(sysbenchOptionsSchema.parse({ test: 'cpu', time: 5 }), context);
 * // { argv: ['sysbench', 'cpu', '--threads=1', '--time=5', '--cpu-max-prime=10000', 'run'] }
 * sysbench.parse(output, options);
 * // [{ name: 'events_per_s', value: 2976.8, unit: 'events/s' }, { name: 'latency_avg_ms', … }, …]
 */
export const sysbench: WorkloadPlugin<SysbenchOptions> = {
  name: 'sysbench',
  description: 'sysbench cpu, memory or fileio; rates and latency (avg, p95, max) from its text report',
  optionsSchema: sysbenchOptionsSchema,
  requires: [{ binary: 'sysbench', debian: 'sysbench', amazonLinux: 'sysbench' }],

  command(options) {
    if (options.test === 'fileio') {
      return { argv: ['sh', '-c', SYSBENCH_FILEIO_SCRIPT, 'sysbench', ...testArgs(options)] };
    }
    return { argv: ['sysbench', options.test, ...testArgs(options), 'run'] };
  },

  parse(output, options) {
    if (!/^General statistics:$/m.test(output.stdout)) {
      throw outputError(
        TOOL,
        `no ${options.test} report on stdout (no "General statistics:" section)`,
        output,
      );
    }
    const rates =
      options.test === 'cpu'
        ? cpuMetrics(output)
        : options.test === 'memory'
          ? memoryMetrics(output)
          : fileioMetrics(output, options);
    return [...rates, ...latencyMetrics(output)];
  },

  estimateSeconds(options) {
    return options.time + (options.test === 'fileio' ? 5 : 1);
  },

  measuredDurationMs(output) {
    const seconds = Number(/^\s*total time:\s*([\d.]+)s$/m.exec(output.stdout)?.[1]);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  },
};
