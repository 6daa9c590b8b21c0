/**
 * `iperf3`: network throughput between the hosts of one run. One host (the `server` option, a host
 * name from the plan) runs a one-off iperf3 server; every other host runs a client against it. A
 * workload's command is the same for every host, so the role is decided on the host, by a constant
 * script comparing $FLEETBENCH_HOST with the server's name; the server's address comes from
 * $FLEETBENCH_IPERF3_SERVER, which the engine exports (127.0.0.1 locally, the server's private IP on
 * AWS). An engine that builds a command per host calls `iperf3CommandFor` instead, which sets both.
 *
 * iperf3 serves one test at a time, and `-s -1` exits after one client, so with several clients the
 * server runs `iperf3 -s -1` in a loop, one client per round, and the clients take turns: a client told
 * "the server is busy" retries every 0.25 s for as long as the server keeps answering busy (each test is
 * bounded, so that ends), and one refused (the server is not listening yet, or between two rounds) or
 * whose control connection broke (it reached a round's listener just as that round ended) retries for
 * up to 10 s. The server's first round waits up to `duration` + 60 s for a client; every
 * later round only `linger` seconds, because the clients still due are already retrying: silence for
 * that long means everyone was served. Each round is also capped by `timeout`, so a stuck test cannot
 * hold the repetition until the task timeout. The server prints the reports of all its rounds as
 * `{"server_tests": [...]}`. A client turns an iperf3 JSON error into a non-zero exit: iperf3 3.12 exits
 * 0 after "unable to connect" when given -J.
 */
import { z } from 'zod';
import { durationSchema } from '../duration-schema.js';
import { isRecord, jsonReport, nonNegative, outputError, positive, toNumber } from './output.js';
import type { CommandContext, CommandOutput, Metric, PluginCommand, WorkloadPlugin } from './types.js';

const TOOL = 'iperf3';

/**
 * Positional parameters: server host name, port, duration, parallel streams, reverse (0|1), bind
 * address, linger (seconds the server waits for another client after a test).
 */
export const IPERF3_SCRIPT = `server=$1 port=$2 duration=$3 parallel=$4 reverse=$5 bind=$6 linger=$7
if [ -z "\${FLEETBENCH_HOST:-}" ]; then
  echo 'iperf3: FLEETBENCH_HOST is not set, so this host cannot tell whether it is the server' >&2
  exit 2
fi
if [ "$FLEETBENCH_HOST" = "$server" ]; then
  set -- -s -1 -J -p "$port"
  if [ -n "$bind" ]; then set -- "$@" -B "$bind"; fi
  window=$((duration + 60))
  tests=
  while :; do
    report=$(timeout "$((window + duration + 30))" iperf3 "$@" --idle-timeout "$window")
    status=$?
    case $report in
      *'"accepted_connection"'*)
        tests="\${tests:+$tests,}$report"
        window=$linger
        continue
        ;;
    esac
    if [ -n "$tests" ]; then break; fi
    if [ -n "$report" ]; then
      printf '%s\\n' "$report"
      [ "$status" -ne 0 ] || status=1
      exit "$status"
    fi
    if [ "$status" -ne 0 ] && [ "$status" -ne 124 ]; then exit "$status"; fi
    echo "iperf3: no client connected within $window s" >&2
    exit 1
  done
  printf '{"server_tests": [%s]}\\n' "$tests"
  case $tests in
    *'"error"'*) exit 1 ;;
  esac
  exit 0
fi
if [ -z "\${FLEETBENCH_IPERF3_SERVER:-}" ]; then
  echo "iperf3: FLEETBENCH_IPERF3_SERVER is not set (the address of host $server)" >&2
  exit 2
fi
set -- -c "$FLEETBENCH_IPERF3_SERVER" -J -p "$port" -t "$duration" -P "$parallel"
if [ "$reverse" = 1 ]; then set -- "$@" -R; fi
refused=0
while :; do
  report=$(iperf3 "$@")
  status=$?
  case $report in
    *'the server is busy'*)
      refused=0
      sleep 0.25
      continue
      ;;
    *'unable to connect to server'* | *'unable to receive control message'* | *'unable to send control message'* | *'control socket has closed unexpectedly'*)
      if [ "$refused" -lt 40 ]; then
        refused=$((refused + 1))
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
  duration: durationSchema({ maxSeconds: 86_400, wholeSeconds: true }).default(5),
  parallel: z.int().min(1).max(128).default(1),
  reverse: z.boolean().default(false),
  bind: z.string().min(1).optional(),
  linger: durationSchema({ maxSeconds: 600, wholeSeconds: true }).default(3),
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
    String(options.linger),
  ];
}

type Sums = {
  role: 'client' | 'server';
  reverse: boolean;
  sent: Record<string, unknown>;
  received: Record<string, unknown>;
};

/** One iperf3 JSON report's totals and role (client or server), or why it has none. */
function reportSums(report: Record<string, unknown>, options: Iperf3Options, output: CommandOutput): Sums {
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

/**
 * Every test in the output: the server script wraps the reports of the clients it served in
 * `{"server_tests": [...]}`; a client (or a bare `iperf3 -s -1 -J`) prints a single report.
 */
function allSums(output: CommandOutput, options: Iperf3Options): Sums[] {
  const report = jsonReport(TOOL, output);
  if (!('server_tests' in report)) return [reportSums(report, options, output)];
  const tests = report.server_tests;
  if (!Array.isArray(tests) || tests.length === 0) {
    throw outputError(TOOL, 'the server served no client (server_tests is empty)', output);
  }
  return tests.map((test) => {
    if (!isRecord(test)) throw outputError(TOOL, 'server_tests holds something that is not a report', output);
    const sums = reportSums(test, options, output);
    if (sums.role !== 'server') throw outputError(TOOL, 'server_tests holds a client report', output);
    return sums;
  });
}

const average = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

const mbps = (field: string, sum: Record<string, unknown>, output: CommandOutput) =>
  positive(TOOL, `${field}.bits_per_second`, sum.bits_per_second, output) / 1e6;

function retransmits(sum: Record<string, unknown>, output: CommandOutput): number | undefined {
  if (sum.retransmits === undefined) return undefined;
  return nonNegative(TOOL, 'sum_sent.retransmits', sum.retransmits, output);
}

function retransmitMetric(values: readonly (number | undefined)[]): Metric[] {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === values.length && known.length > 0
    ? [{ name: 'retransmits', value: average(known), unit: 'count' }]
    : [];
}

/** The server's metrics: per-test rates averaged over the clients it served, and how many it served. */
function serverMetrics(tests: readonly Sums[], output: CommandOutput): Metric[] {
  const served: Metric = { name: 'clients_served', value: tests.length, unit: 'count' };
  if (tests.every((t) => t.reverse)) {
    return [
      {
        name: 'throughput_sent_mbps',
        value: average(tests.map((t) => mbps('sum_sent', t.sent, output))),
        unit: 'Mbit/s',
      },
      ...retransmitMetric(tests.map((t) => retransmits(t.sent, output))),
      served,
    ];
  }
  return [
    {
      name: 'throughput_received_mbps',
      value: average(tests.map((t) => mbps('sum_received', t.received, output))),
      unit: 'Mbit/s',
    },
    served,
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
 * iperf3.command({ server: 'host-1', port: 5201, duration: 5, parallel: 1, reverse: false, linger: 3 }, context);
 * // { argv: ['sh', '-c', IPERF3_SCRIPT, 'iperf3', 'host-1', '5201', '5', '1', '0', '', '3'] }
 * iperf3.parse(clientOutput, options);
 * // [{ name: 'throughput_sent_mbps', value: 16131.2, unit: 'Mbit/s' }, { name: 'throughput_received_mbps', … }, { name: 'retransmits', … }]
 * iperf3.parse(serverOutput, options); // two clients served
 * // [{ name: 'throughput_received_mbps', value: 15012.9, unit: 'Mbit/s' }, { name: 'clients_served', value: 2, unit: 'count' }]
 */
export const iperf3: Iperf3Plugin = {
  name: 'iperf3',
  description:
    'iperf3 TCP throughput from the other hosts to one server host, one client at a time; Mbit/s and retransmits',
  optionsSchema: iperf3OptionsSchema,
  requires: [{ binary: 'iperf3', debian: 'iperf3', amazonLinux: 'iperf3' }],

  command(options) {
    return { argv: scriptArgv(options) };
  },

  commandFor: iperf3CommandFor,

  parse(output, options) {
    const tests = allSums(output, options);
    const [first] = tests;
    if (first === undefined || first.role === 'server') return serverMetrics(tests, output);
    return [
      { name: 'throughput_sent_mbps', value: mbps('sum_sent', first.sent, output), unit: 'Mbit/s' },
      {
        name: 'throughput_received_mbps',
        value: mbps('sum_received', first.received, output),
        unit: 'Mbit/s',
      },
      ...retransmitMetric([retransmits(first.sent, output)]),
    ];
  },

  estimateSeconds(options) {
    return options.duration + options.linger + 2;
  },

  measuredDurationMs(output, options) {
    try {
      const tests = allSums(output, options);
      // A server's wall time includes waiting for its clients; only a single test has a tool-measured duration.
      const [only] = tests;
      if (only === undefined || tests.length > 1) return undefined;
      const seconds = toNumber(only.received.seconds) ?? toNumber(only.sent.seconds);
      return seconds !== undefined && seconds > 0 ? seconds * 1000 : undefined;
    } catch {
      return undefined;
    }
  },
};
