/**
 * The report of one run: for every workload × metric, a row per host (its repetitions summarised) and
 * a fleet row (every host's values together), with hosts flagged by the outlier rule (outliers.ts): more
 * than the `--deviation` threshold from the fleet median and significantly different from the other hosts,
 * given enough repetitions to tell. This is the model `fleetbench report` renders as
 * Markdown, CSV, JSON or HTML and that `export` writes as report.json; it is pure data, built from the
 * run's tasks without I/O.
 */
import { type Direction, metricDirection } from './direction.js';
import { flagOutliers, type OutlierRule, type OutlierSkip, outlierRule } from './outliers.js';
import { collectSeries, hostsOf, type ReportInput, type ReportRun } from './samples.js';
import { median, type Summary, summarize } from './stats.js';

export type RepValue = { readonly rep: number; readonly value: number };

export type HostRow = Summary & {
  readonly host: string;
  /** Every repetition's value, by repetition. */
  readonly values: readonly RepValue[];
  /** 100 · (mean − fleet median) / |fleet median|; `null` when the median is 0. */
  readonly deviationPercent: number | null;
  /** The p of this host's values against the fleet median (outliers.ts); `null` when the rule could not test it. */
  readonly outlierP: number | null;
  readonly outlier: boolean;
};

export type FleetRow = Summary & {
  /** Hosts that reported the metric. */
  readonly hosts: number;
  /** The median of the hosts' means: the reference of the outlier rule. */
  readonly medianOfHostMeans: number;
};

export type MetricReport = {
  readonly workload: string;
  readonly metric: string;
  readonly unit: string;
  readonly direction: Direction;
  readonly fleet: FleetRow;
  readonly hosts: readonly HostRow[];
  /** Why the outlier rule could flag no host of this metric; `null` when it could. */
  readonly outlierSkip: OutlierSkip | null;
};

export type Outlier = {
  readonly workload: string;
  readonly metric: string;
  readonly unit: string;
  readonly host: string;
  readonly mean: number;
  readonly fleetMedian: number;
  readonly deviationPercent: number;
  /** The p of the host's values against the fleet median. */
  readonly p: number;
};

export type RunReport = {
  readonly run: ReportRun;
  /** The outlier threshold used, in % (also in `outlierRule`). */
  readonly deviationPercent: number;
  readonly outlierRule: OutlierRule;
  readonly metrics: readonly MetricReport[];
  /** Every flagged host row, in report order. */
  readonly outliers: readonly Outlier[];
};

/**
 * Builds a run's report from its tasks.
 * @example
 * const report = buildRunReport({ run, tasks }, { deviationPercent: 5 });
 * report.metrics[0]; // { workload: 'cpu', metric: 'bogo_ops', unit: 'ops', direction: 'higher', fleet: {…}, hosts: [...] }
 * report.outliers; // [{ workload: 'cpu', metric: 'bogo_ops', host: 'host-3', deviationPercent: -23.1, … }]
 */
export function buildRunReport(
  input: ReportInput,
  options: { deviationPercent?: number; alpha?: number } = {},
): RunReport {
  const rule = outlierRule(options);
  const metrics: MetricReport[] = [];
  const outliers: Outlier[] = [];
  for (const series of collectSeries(input)) {
    const perHost = hostsOf(series).map((host) => {
      const samples = series.samples.filter((s) => s.host === host);
      return {
        host,
        values: samples.map((s) => ({ rep: s.rep, value: s.value })),
        summary: summarize(samples.map((s) => s.value)),
      };
    });
    const flagged = flagOutliers(
      perHost.map((h) => ({ host: h.host, values: h.values.map((v) => v.value) })),
      rule,
    );
    const hosts: HostRow[] = perHost.map((h, i) => {
      const deviation = flagged.hosts[i];
      return {
        host: h.host,
        ...h.summary,
        values: h.values,
        deviationPercent: deviation?.deviationPercent ?? null,
        outlierP: deviation?.p ?? null,
        outlier: deviation?.outlier ?? false,
      };
    });
    const fleet: FleetRow = {
      ...summarize(series.samples.map((s) => s.value)),
      hosts: hosts.length,
      medianOfHostMeans: median(hosts.map((h) => h.mean)),
    };
    const id = { workload: series.workload, metric: series.metric, unit: series.unit };
    metrics.push({
      ...id,
      direction: metricDirection(series.metric, series.unit),
      fleet,
      hosts,
      outlierSkip: flagged.skip,
    });
    for (const h of hosts) {
      if (h.outlier && h.deviationPercent !== null && h.outlierP !== null) {
        outliers.push({
          ...id,
          host: h.host,
          mean: h.mean,
          fleetMedian: fleet.medianOfHostMeans,
          deviationPercent: h.deviationPercent,
          p: h.outlierP,
        });
      }
    }
  }
  return { run: input.run, deviationPercent: rule.deviationPercent, outlierRule: rule, metrics, outliers };
}
