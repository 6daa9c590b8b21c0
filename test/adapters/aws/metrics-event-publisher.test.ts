import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { MetricsEventPublisher } from '../../../lib/adapters/aws/metrics-event-publisher.js';
import { type CloudEvent, EVENT_TYPES } from '../../../lib/core/cloudevents.js';

function event(type: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: 'id',
    source: 's',
    type,
    time: '2025-01-02T03:04:05.000Z',
    datacontenttype: 'application/json',
    data,
  };
}

/** A Metrics whose single metrics are recorded instead of printed as EMF. */
function recorder() {
  const emitted: {
    dimensions: Record<string, string>;
    metadata: Record<string, string>;
    name: string;
    value: number;
  }[] = [];
  const metrics = new Metrics({ namespace: 'Fleetbench', serviceName: 'fleetbench' });
  vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
    const record = {
      dimensions: {} as Record<string, string>,
      metadata: {} as Record<string, string>,
      name: '',
      value: 0,
    };
    const single = {
      addDimension: (k: string, v: string) => {
        record.dimensions[k] = v;
        return single;
      },
      addMetadata: (k: string, v: string) => {
        record.metadata[k] = v;
        return single;
      },
      addMetric: (name: string, _unit: string, value: number) => {
        emitted.push({ ...record, name, value });
        return single;
      },
    };
    return single as unknown as Metrics;
  });
  return { metrics, emitted };
}

describe('Class: MetricsEventPublisher', () => {
  it('publishes, then counts task outcomes per workload with the run id as metadata only', async () => {
    const inner = { publish: vi.fn(async () => {}) };
    const { metrics, emitted } = recorder();
    const events = [
      event(EVENT_TYPES.taskCompleted, {
        runId: 'r',
        workload: 'cpu',
        durationMs: 1500,
        metrics: [{ name: 'bogo_ops_per_s_real', value: 812.5, unit: 'ops/s' }],
      }),
      event(EVENT_TYPES.taskFailed, { runId: 'r', workload: 'disk' }),
      event(EVENT_TYPES.runStateChanged, { runId: 'r' }),
      event(EVENT_TYPES.runFinished, { runId: 'r', state: 'FINISHED' }),
    ];

    await new MetricsEventPublisher(inner, metrics).publish(events);

    expect(inner.publish).toHaveBeenCalledWith(events);
    expect(emitted).toEqual([
      { dimensions: { workload: 'cpu' }, metadata: { runId: 'r' }, name: 'TasksCompleted', value: 1 },
      { dimensions: { workload: 'cpu' }, metadata: { runId: 'r' }, name: 'TaskDuration', value: 1500 },
      {
        dimensions: { workload: 'cpu', metric: 'bogo_ops_per_s_real' },
        metadata: { runId: 'r' },
        name: 'WorkloadMetric',
        value: 812.5,
      },
      { dimensions: { workload: 'disk' }, metadata: { runId: 'r' }, name: 'TasksFailed', value: 1 },
      { dimensions: { state: 'FINISHED' }, metadata: { runId: 'r' }, name: 'RunsFinished', value: 1 },
    ]);
  });

  it('counts a warm-up task but keeps its values out of the workload metrics', async () => {
    // Prepare
    const { metrics, emitted } = recorder();
    const warmup = event(EVENT_TYPES.taskCompleted, {
      runId: 'r',
      workload: 'disk[bs=4k]',
      warmup: true,
      durationMs: 900,
      metrics: [{ name: 'read_iops', value: 99_999, unit: 'ops/s' }],
    });

    // Act
    await new MetricsEventPublisher({ publish: async () => {} }, metrics).publish([warmup]);

    // Assess
    expect(emitted.map((e) => e.name)).toEqual(['TasksCompleted', 'TaskDuration']);
    expect(emitted[0]?.dimensions).toEqual({ workload: 'disk[bs=4k]' });
  });
});
