/**
 * CloudWatch metrics derived from the run's CloudEvents: a decorator around the real publisher, so the
 * use cases stay free of metrics code and every fact that is published is also counted. Metrics go out as
 * EMF (Powertools) in the `Fleetbench` namespace with bounded dimensions only — `workload` for tasks,
 * `state` for finished runs — and the run id as metadata, never as a dimension (each distinct dimension
 * combination is a billed custom metric).
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type CloudEvent, EVENT_TYPES } from '../../core/cloudevents.js';
import type { EventPublisher } from '../../core/ports.js';

/** Metric names, shared with the dashboard (lib/infra/dashboard.ts). */
export const FLEETBENCH_METRICS = {
  namespace: 'Fleetbench',
  tasksCompleted: 'TasksCompleted',
  tasksFailed: 'TasksFailed',
  taskDuration: 'TaskDuration',
  /** Every metric a workload reports (dimensions workload and metric): bounded by the plans, not by runs. */
  workloadMetric: 'WorkloadMetric',
  runsFinished: 'RunsFinished',
} as const;

/**
 * @example
 * const events = new MetricsEventPublisher(new EventBridgePublisher({ ... }), metrics);
 */
export class MetricsEventPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly metrics: Metrics,
  ) {}

  async publish(events: readonly CloudEvent[]): Promise<void> {
    await this.inner.publish(events);
    for (const event of events) this.#record(event);
  }

  #record(event: CloudEvent): void {
    const data = event.data;
    const runId = typeof data.runId === 'string' ? data.runId : '';
    switch (event.type) {
      case EVENT_TYPES.taskCompleted:
      case EVENT_TYPES.taskFailed: {
        const workload = typeof data.workload === 'string' ? data.workload : 'unknown';
        const completed = event.type === EVENT_TYPES.taskCompleted;
        this.#emit(
          { workload },
          runId,
          completed ? FLEETBENCH_METRICS.tasksCompleted : FLEETBENCH_METRICS.tasksFailed,
          MetricUnit.Count,
          1,
        );
        if (completed && typeof data.durationMs === 'number') {
          this.#emit(
            { workload },
            runId,
            FLEETBENCH_METRICS.taskDuration,
            MetricUnit.Milliseconds,
            data.durationMs,
          );
        }
        // A warm-up's values are not results (docs/plan.md, "warmup"): they stay out of the workload metrics.
        if (completed && data.warmup !== true && Array.isArray(data.metrics)) {
          for (const m of data.metrics as { name?: unknown; value?: unknown }[]) {
            if (typeof m.name !== 'string' || typeof m.value !== 'number') continue;
            this.#emit(
              { workload, metric: m.name },
              runId,
              FLEETBENCH_METRICS.workloadMetric,
              MetricUnit.NoUnit,
              m.value,
            );
          }
        }
        return;
      }
      case EVENT_TYPES.runFinished: {
        const state = typeof data.state === 'string' ? data.state : 'unknown';
        this.#emit({ state }, runId, FLEETBENCH_METRICS.runsFinished, MetricUnit.Count, 1);
        return;
      }
      default:
        return;
    }
  }

  #emit(
    dimensions: Record<string, string>,
    runId: string,
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
  ): void {
    // One EMF document per metric: dimensions differ from one event to the next.
    const single = this.metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    if (runId) single.addMetadata('runId', runId);
    single.addMetric(name, unit, value);
  }
}
