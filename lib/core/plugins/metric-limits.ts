/**
 * What one task may report, on both targets. A task's metrics are stored in its journal item, and a
 * DynamoDB item (dynalite enforces the same rules) holds at most 400 KB and numbers between 1e-130 and
 * 9.99e125 in magnitude: output that breaks either would be a result that cannot be recorded. These limits
 * keep every task item far below the size limit (100 metrics of at most 64 + 32 bytes of text) and every
 * value storable, and they are checked where the output is parsed, so such output fails its task with one
 * line instead of being lost.
 */
import { PluginOutputError } from '../errors.js';
import type { Metric } from './types.js';

export const METRIC_LIMITS = {
  /** Metrics one task may report. */
  count: 100,
  /** Bytes (UTF-8) of a metric's name. */
  nameBytes: 64,
  /** Bytes (UTF-8) of a metric's unit. */
  unitBytes: 32,
  /** Largest magnitude of a value (DynamoDB's number range ends just below 1e126). */
  maxMagnitude: 1e125,
  /** Smallest magnitude of a non-zero value (DynamoDB's number range starts at 1e-130). */
  minMagnitude: 1e-125,
} as const;

const encoder = new TextEncoder();
const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** Why `metric` cannot be recorded, or undefined when it can. */
function metricProblem(metric: Metric): string | undefined {
  const name = JSON.stringify(metric.name.length > 80 ? `${metric.name.slice(0, 80)}…` : metric.name);
  if (metric.name.length === 0) return 'a metric has an empty name';
  if (utf8Bytes(metric.name) > METRIC_LIMITS.nameBytes)
    return `metric name ${name} is longer than ${METRIC_LIMITS.nameBytes} bytes`;
  if (utf8Bytes(metric.unit) > METRIC_LIMITS.unitBytes)
    return `metric ${name} has a unit longer than ${METRIC_LIMITS.unitBytes} bytes`;
  const size = Math.abs(metric.value);
  if (!Number.isFinite(metric.value)) return `metric ${name} is not a finite number`;
  if (size > METRIC_LIMITS.maxMagnitude || (size !== 0 && size < METRIC_LIMITS.minMagnitude))
    return `metric ${name} is ${metric.value}, outside ±[${METRIC_LIMITS.minMagnitude}, ${METRIC_LIMITS.maxMagnitude}]`;
  return undefined;
}

/**
 * Returns `metrics` when every one can be recorded; throws PluginOutputError naming the first that cannot.
 * @example
 * checkMetricLimits('shell', [{ name: 'ops', value: 1200, unit: '' }]); // the same array
 * checkMetricLimits('shell', [{ name: 'x', value: 1e300, unit: '' }]); // throws: metric "x" is 1e+300, outside …
 */
export function checkMetricLimits(tool: string, metrics: readonly Metric[]): Metric[] {
  const hint = 'see "Metric limits" in docs/workloads.md';
  if (metrics.length > METRIC_LIMITS.count) {
    throw new PluginOutputError(
      `${tool}: ${metrics.length} metrics reported, at most ${METRIC_LIMITS.count} per task`,
      { hint },
    );
  }
  for (const metric of metrics) {
    const problem = metricProblem(metric);
    if (problem !== undefined) throw new PluginOutputError(`${tool}: ${problem}`, { hint });
  }
  return [...metrics];
}
