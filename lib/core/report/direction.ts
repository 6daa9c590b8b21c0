/**
 * Which way is better for a metric, so `compare` can say "improved" or "regressed" instead of "changed".
 * Plugins report a name and a unit and nothing else, so the direction is derived from those two, in
 * this order (docs/results.md, "Which way is better"):
 *
 * 1. lower is better when a word of the name says time or trouble: latency, lat, clat, slat, elapsed,
 *    duration, time, seconds, retransmit(s), error(s), failure(s), miss(es), stall(s);
 * 2. lower is better when the unit is a time: ns, us, µs, ms, s, sec, min, h;
 * 3. higher is better when the unit is a rate (anything per time unit: MiB/s, ops/s, Mbit/s, events/s,
 *    or Mbps-style) or an amount of work done in a fixed time (ops, events, requests, transactions);
 * 4. higher is better when a word of the name says rate: throughput, iops, bw, bandwidth, ops, mbps,
 *    gbps, qps, tps, rps, or the name ends in _per_s / _per_sec;
 * 5. otherwise the direction is unknown, and a significant difference is reported as "changed".
 *
 * Words are the name's parts between underscores, dashes and dots, so `read_clat_p99_us` has `clat`.
 */

export type Direction = 'higher' | 'lower' | 'unknown';

const LOWER_WORDS = new Set([
  'latency',
  'lat',
  'clat',
  'slat',
  'elapsed',
  'duration',
  'time',
  'seconds',
  'retransmit',
  'retransmits',
  'error',
  'errors',
  'failure',
  'failures',
  'miss',
  'misses',
  'stall',
  'stalls',
]);
const HIGHER_WORDS = new Set([
  'throughput',
  'iops',
  'bw',
  'bandwidth',
  'ops',
  'mbps',
  'gbps',
  'qps',
  'tps',
  'rps',
]);
const TIME_UNITS = new Set([
  'ns',
  'us',
  'µs',
  'μs',
  'ms',
  's',
  'sec',
  'secs',
  'second',
  'seconds',
  'min',
  'mins',
  'minute',
  'minutes',
  'h',
  'hour',
  'hours',
]);
const WORK_UNITS = new Set(['ops', 'op', 'events', 'requests', 'transactions', 'queries', 'iops']);
const PER_TIME = /\/\s*(ns|us|µs|μs|ms|s|sec|second|min|minute|h|hour)$/;
const BITS_PER_SECOND = /^[kmgt]?i?b(it)?ps$/;

/**
 * Which way is better for a metric, from its name and unit.
 * @example
 * metricDirection('read_clat_p99_us', 'us'); // 'lower'
 * metricDirection('hash_throughput', 'MiB/s'); // 'higher'
 * metricDirection('bogo_ops', 'ops'); // 'higher'
 * metricDirection('seed', ''); // 'unknown'
 */
export function metricDirection(name: string, unit: string): Direction {
  const lowerName = name.toLowerCase();
  const words = lowerName.split(/[^a-z0-9]+/).filter((w) => w !== '');
  const u = unit.trim().toLowerCase();
  if (words.some((w) => LOWER_WORDS.has(w))) return 'lower';
  if (TIME_UNITS.has(u)) return 'lower';
  if (PER_TIME.test(u) || BITS_PER_SECOND.test(u) || WORK_UNITS.has(u)) return 'higher';
  if (words.some((w) => HIGHER_WORDS.has(w)) || /_per_(s|sec)$/.test(lowerName)) return 'higher';
  return 'unknown';
}
