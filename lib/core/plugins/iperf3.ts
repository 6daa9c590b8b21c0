/**
 * `iperf3`: network throughput between the hosts of one run. One host (the `server` option, a host
 * name from the plan) runs a one-off iperf3 server; every other host runs a client against it. A
 * workload's command is the same for every host, so the role is decided on the host, by a constant
 * script comparing $FLEETBENCH_HOST with the server's name; the server's address comes from
 * $FLEETBENCH_IPERF3_SERVER, which the engine exports (127.0.0.1 locally, the server's private IP on
 * AWS). An engine that builds a command per host calls `iperf3CommandFor` instead, which sets both.
 *
 * The client retries while the server is not listening yet (all hosts start together), and turns an
 * iperf3 JSON error into a non-zero exit: iperf3 3.12 exits 0 after "unable to connect" when given -J.
 * The server gives up after the test duration plus a minute, so a failed client cannot leave it
 * holding the repetition until the task timeout. iperf3 serves one test at a time, so a workload is
 * meant for one server and one client per repetition.
 */
import { z } from 'zod';
import { isRecord, jsonReport, nonNegative, outputError, positive, toNumber } from './output.js';
import type { CommandContext, CommandOutput, Metric, PluginCommand, WorkloadPlugin } from './types.js';

const TOOL = 'iperf3';

/** Positional parameters: server host name, port, duration, parallel streams, reverse (0|1), bind address. */
export const IPERF3_SCRIPT = `server=$1 port=$2 duration=$3 parallel=$4 reverse=$5 bind=$6
if [ -z "\${FLEETBENCH_HOST:-}" ]; then
  echo 'iperf3: FLEETBENCH_HOST is not set, so this host cannot tell whether it is the server' >&2
  exit 2
fi
if [ "$FLEETBENCH_HOST" = "$server" ]; then
  set -- -s -1 -J -p "$port"
  if [ -n "$bind" ]; then set -- "$@" -B "$bind"; fi
  exec timeout "$((duration + 60))" iperf3 "$@"
fi
if [ -z "\${FLEETBENCH_IPERF3_SERVER:-}" ]; then
  echo "iperf3: FLEETBENCH_IPERF3_SERVER is not set (the address of host $server)" >&2
  exit 2
fi
set -- -c "$FLEETBENCH_IPERF3_SERVER" -J -p "$port" -t "$duration" -P "$parallel"
if [ "$reverse" = 1 ]; then set -- "$@" -R; fi
attempt=1
while :; do
  report=$(iperf3 "$@")
  status=$?
  case $report in
    *'unable to connect to server'*)
      if [ "$attempt" -lt 40 ]; then
        attempt=$((attempt + 1))
        sleep 0.25
        continue
      fi
      ;;
  esac
  printf '%s\\n' "$report"
  case $report in
    *'"error"'*) [ "$status" -ne 0 ] || status=1 ;;
  esac
  exit "$status"
done
`;

export const iperf3OptionsSchema = z.strictObject({
  server: z.string().min(1, 'the name of the host that runs the iperf3 server'),
  port: z.int().min(1).max(65_535).default(5201),
  duration: z.int().min(1).max(86_400).default(5),
  parallel: z.int().min(1).max(128).default(1),
  reverse: z.boolean().default(false),
  bind: z.string().min(1).optional(),
});

export type Iperf3Options = z.output<typeof iperf3OptionsSchema>;

/** What a per-host command needs beyond the usual context: which host it is, and where the server listens. */
export type Iperf3HostContext = CommandContext & {
  readonly host: string;
  readonly serverAddress: string;
};

export type Iperf3Plugin = WorkloadPlugin<Iperf3Options> & {
  /** The command for one host, with its role and the server's address fixed instead of read from the environment. */
  commandFor(options: Iperf3Options, context: Iperf3HostContext): PluginCommand;
};

function scriptArgv(options: Iperf3Options): string[] {
  return [
    'sh',
    '-c',
    IPERF3_SCRIPT,
    'iperf3',
    options.server,
    String(options.port),
    String(options.duration),
    String(options.parallel),
    options.reverse ? '1' : '0',
    options.bind ?? '',
  ];
}

type Sums = {
  role: 'client' | 'server';
  reverse: boolean;
  sent: Record<string, unknown>;
  received: Record<string, unknown>;
};

function sums(output: CommandOutput, options: Iperf3Options): Sums {
  const report = jsonReport(TOOL, output);
  if (typeof report.error === 'string') throw outputError(TOOL, `reported an error: ${report.error}`, output);
  const start = isRecord(report.start) ? report.start : {};
  const role = 'connecting_to' in start ? 'client' : 'accepted_connection' in start ? 'server' : undefined;
  if (role === undefined) throw outputError(TOOL, 'JSON report has no connection in "start"', output);
  const end = isRecord(report.end) ? report.end : {};
  if (!isRecord(end.sum_sent) || !isRecord(end.sum_received)) {
    throw outputError(TOOL, 'JSON report has no end.sum_sent/end.sum_received (test did not finish)', output);
  }
  const testStart = isRecord(start.test_start) ? start.test_start : {};
  const reverse = testStart.reverse === undefined ? options.reverse : toNumber(testStart.reverse) === 1;
  return { role, reverse, sent: end.sum_sent, received: end.sum_received };
}

const mbps = (field: string, sum: Record<string, unknown>, output: CommandOutput) =>
  positive(TOOL, `${field}.bits_per_second`, sum.bits_per_second, output) / 1e6;

function retransmits(sum: Record<string, unknown>, output: CommandOutput): Metric[] {
  if (sum.retransmits === undefined) return [];
  return [
    {
      name: 'retransmits',
      value: nonNegative(TOOL, 'sum_sent.retransmits', sum.retransmits, output),
      unit: 'count',
    },
  ];
}

/**
 * The per-host command: the same script as `command()`, with FLEETBENCH_HOST and
 * FLEETBENCH_IPERF3_SERVER set through `env` rather than inherited.
 * @example
 * iperf3CommandFor(options, { ...context, host: 'host-2', serverAddress: '127.0.0.1' });
 * // { argv: ['env', 'FLEETBENCH_HOST=host-2', 'FLEETBENCH_IPERF3_SERVER=127.0.0.1', 'sh', '-c', IPERF3_SCRIPT, …] }
 */
export function iperf3CommandFor(options: Iperf3Options, context: Iperf3HostContext): PluginCommand {
  return {
    argv: [
      'env',
      `FLEETBENCH_HOST=${context.host}`,
      `FLEETBENCH_IPERF3_SERVER=${context.serverAddress}`,
      ...scriptArgv(options),
    ],
  };
}

/**
 * iperf3 between hosts: the `server` host runs `iperf3 -s -1 -J`, the others `iperf3 -c … -J`.
 * @example
 * iperf3.command({ server: 'host-1', port: 5201, duration: 5, parallel: 1, reverse: false }, context);
 * // { argv: ['sh', '-c', IPERF3_SCRIPT, 'iperf3', 'host-1', '5201', '5', '1', '0', ''] }
 * iperf3.parse(clientOutput, options);
 * // [{ name: 'throughput_sent_mbps', value: 16131.2, unit: 'Mbit/s' }, { name: 'throughput_received_mbps', … }, { name: 'retransmits', … }]
 */
export const iperf3: Iperf3Plugin = {
  name: 'iperf3',
  description: 'iperf3 TCP throughput from the other hosts to one server host; Mbit/s and retransmits',
  optionsSchema: iperf3OptionsSchema,
  requires: [{ binary: 'iperf3', debian: 'iperf3', amazonLinux: 'iperf3' }],

  command(options) {
    return { argv: scriptArgv(options) };
  },

  commandFor: iperf3CommandFor,

  parse(output, options) {
    const { role, reverse, sent, received } = sums(output, options);
    if (role === 'server') {
      return reverse
        ? [
            { name: 'throughput_sent_mbps', value: mbps('sum_sent', sent, output), unit: 'Mbit/s' },
            ...retransmits(sent, output),
          ]
        : [
            {
              name: 'throughput_received_mbps',
              value: mbps('sum_received', received, output),
              unit: 'Mbit/s',
            },
          ];
    }
    return [
      { name: 'throughput_sent_mbps', value: mbps('sum_sent', sent, output), unit: 'Mbit/s' },
      { name: 'throughput_received_mbps', value: mbps('sum_received', received, output), unit: 'Mbit/s' },
      ...retransmits(sent, output),
    ];
  },

  estimateSeconds(options) {
    return options.duration + 2;
  },

  measuredDurationMs(output, options) {
    try {
      const { received, sent } = sums(output, options);
      const seconds = toNumber(received.seconds) ?? toNumber(sent.seconds);
      return seconds !== undefined && seconds > 0 ? seconds * 1000 : undefined;
    } catch {
      return undefined;
    }
  },
};
