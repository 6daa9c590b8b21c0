/**
 * One CloudWatch dashboard for the whole product: is the workflow healthy (executions started, succeeded,
 * failed), are the functions healthy (errors, p90 duration per function), and what the benchmarks do
 * (tasks completed/failed and task duration per workload, from the `Fleetbench` EMF metrics that
 * MetricsEventPublisher emits).
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FLEETBENCH_METRICS } from '../adapters/aws/metrics-event-publisher.js';

export interface DashboardProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Functions by display name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly dashboardName?: string;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

/** Every workload's series of a Fleetbench metric (dimensions `service`, `workload` as Powertools emits them). */
function byWorkload(
  metric: string,
  statistic: string,
  label: string,
  period: Duration,
  dimensions = 'service,workload',
): cw.MathExpression {
  return new cw.MathExpression({
    expression: `SEARCH('{${FLEETBENCH_METRICS.namespace},${dimensions}} MetricName="${metric}"', '${statistic}', ${period.toSeconds()})`,
    usingMetrics: {},
    label,
    period,
  });
}

/**
 * @example
 * new Dashboard(this, 'Dashboard', { stateMachine: workflow.stateMachine, functions: functions.all });
 */
export class Dashboard extends Construct {
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const sm = props.stateMachine;
    const fns = Object.entries(props.functions);
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Run executions',
        width: 24,
        left: [
          sm.metricStarted({ period, label: 'started' }),
          sm.metricSucceeded({ period, label: 'succeeded' }),
          sm.metricFailed({ period, label: 'failed' }),
          sm.metricAborted({ period, label: 'aborted' }),
          sm.metricTimedOut({ period, label: 'timed out' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Function errors',
        width: 12,
        left: fns.map(([name, fn]) => fn.metricErrors({ period, label: name })),
      }),
      new cw.GraphWidget({
        title: 'Function duration (p90)',
        width: 12,
        left: fns.map(([name, fn]) => fn.metricDuration({ period, statistic: 'p90', label: name })),
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Tasks completed / failed by workload',
        width: 12,
        left: [byWorkload(FLEETBENCH_METRICS.tasksCompleted, 'Sum', 'completed', period)],
        right: [byWorkload(FLEETBENCH_METRICS.tasksFailed, 'Sum', 'failed', period)],
      }),
      new cw.GraphWidget({
        title: 'Task duration by workload (average, ms)',
        width: 12,
        left: [byWorkload(FLEETBENCH_METRICS.taskDuration, 'Average', 'duration', period)],
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Workload metrics (average per workload and metric)',
        width: 24,
        left: [
          byWorkload(
            FLEETBENCH_METRICS.workloadMetric,
            'Average',
            'metric',
            period,
            'service,workload,metric',
          ),
        ],
      }),
    );
  }
}
