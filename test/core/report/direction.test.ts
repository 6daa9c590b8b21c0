import { describe, expect, it } from 'vitest';
import { metricDirection } from '../../../lib/core/report/direction.js';

describe('Function: metricDirection', () => {
  it.each([
    // Every documented plugin metric (docs/workloads.md).
    ['hash_throughput', 'MiB/s', 'higher'],
    ['elapsed', 's', 'lower'],
    ['bogo_ops', 'ops', 'higher'],
    ['bogo_ops_per_s_real', 'ops/s', 'higher'],
    ['bogo_ops_per_s_cpu', 'ops/s', 'higher'],
    ['read_iops', 'ops/s', 'higher'],
    ['read_bw_mib_s', 'MiB/s', 'higher'],
    ['read_clat_p50_us', 'us', 'lower'],
    ['write_clat_p99_us', 'us', 'lower'],
    ['events_per_s', 'events/s', 'higher'],
    ['memory_throughput_mib_s', 'MiB/s', 'higher'],
    ['fsyncs_per_s', 'ops/s', 'higher'],
    ['latency_avg_ms', 'ms', 'lower'],
    ['latency_p95_ms', 'ms', 'lower'],
    ['throughput_sent_mbps', 'Mbit/s', 'higher'],
    ['retransmits', 'count', 'lower'],
    // Shell metrics: the unit decides, then the name.
    ['p99', 'ms', 'lower'],
    ['seconds', 's', 'lower'],
    ['requests', 'req/min', 'higher'],
    ['net', 'Gbps', 'higher'],
    ['qps', '', 'higher'],
    ['ops_per_sec', '', 'higher'],
    ['request_latency', '', 'lower'],
    ['error_rate', '%', 'lower'],
    ['bytes', 'B', 'unknown'],
    ['seed', '', 'unknown'],
    ['clients_served', 'count', 'unknown'],
  ] as const)('%s in %j: %s is better', (name, unit, expected) => {
    expect(metricDirection(name, unit)).toBe(expected);
  });

  it('lets a latency name win over a rate unit', () => {
    expect(metricDirection('latency_budget', 'ops/s')).toBe('lower');
  });
});
