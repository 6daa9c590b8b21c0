/**
 * A plan whose "benchmark" is a shell script printing deterministic metrics from the host and the
 * repetition, so report and compare tests get realistic spread (every value differs) without timing
 * noise: the same plan gives the same numbers in every run, a slowdown gives exactly the slowdown.
 *
 *   latency_ms     = (100 + 3·rep + host#) · (100 + SLOWDOWN) / 100 · (1.4 on SLOW_HOST)   lower is better
 *   requests_per_s = 1 000 000 / latency_ms                                                higher is better
 *   cache_misses   only when EXTRA_METRIC=1                                                 (a new metric)
 *   errors         0 on every task, only when ZERO_METRIC=1                                  (an all-zero series)
 */
export type SyntheticOptions = {
  readonly name?: string;
  readonly slowdownPercent?: number;
  readonly slowHost?: string;
  readonly extraMetric?: boolean;
  readonly zeroMetric?: boolean;
  readonly repetitions?: number;
  /** The workload's name (default `api`): a renamed workload shares no metric with the default. */
  readonly workload?: string;
  readonly hosts?: number;
};

const SCRIPT = String.raw`h=${'$'}{FLEETBENCH_HOST#host-}
base=$(( (100 + FLEETBENCH_REP * 3 + h) * (100 + SLOWDOWN) / 100 ))
if [ "$FLEETBENCH_HOST" = "$SLOW_HOST" ]; then base=$(( base * 14 / 10 )); fi
extra=
if [ "$EXTRA_METRIC" = 1 ]; then extra=', "cache_misses": {"value": 7, "unit": "count"}'; fi
if [ "$ZERO_METRIC" = 1 ]; then extra="$extra"', "errors": {"value": 0, "unit": "count"}'; fi
echo "warming up"
echo "{\"latency_ms\": {\"value\": $base, \"unit\": \"ms\"}, \"requests_per_s\": {\"value\": $(( 1000000 / base )), \"unit\": \"req/s\"}$extra}"`;

/**
 * @example
 * await cli.writePlan('slow.yaml', syntheticPlan({ slowdownPercent: 50 }));
 */
export function syntheticPlan(options: SyntheticOptions = {}): string {
  const env = {
    SLOWDOWN: String(options.slowdownPercent ?? 0),
    SLOW_HOST: options.slowHost ?? 'none',
    EXTRA_METRIC: options.extraMetric ? '1' : '0',
    ZERO_METRIC: options.zeroMetric ? '1' : '0',
  };
  return [
    `name: ${options.name ?? 'synthetic'}`,
    `hosts: { local: ${options.hosts ?? 3} }`,
    `repetitions: ${options.repetitions ?? 3}`,
    `env: ${JSON.stringify(env)}`,
    'workloads:',
    `  - name: ${options.workload ?? 'api'}`,
    '    plugin: shell',
    '    options:',
    `      command: ${JSON.stringify(SCRIPT)}`,
    '      expectMetrics: true',
    '',
  ].join('\n');
}

/** The run id the `run` command printed first. */
export function runIdOf(stdout: string): string {
  const id = /Started run (\S+)/.exec(stdout)?.[1];
  if (!id) throw new Error(`no run id in: ${stdout}`);
  return id;
}
