/**
 * `compare`: a candidate run against a baseline run, metric by metric. Per workload × metric × unit,
 * every repetition of every host of each run is one sample; Welch's t-test says whether the means
 * differ beyond noise, the metric's direction says whether that is good or bad:
 *
 *   p ≥ alpha                         → "no significant change"
 *   p < alpha, better direction       → "improved"
 *   p < alpha, worse direction        → "regressed"
 *   p < alpha, direction unknown      → "changed"
 *   fewer than 2 samples on a side    → "insufficient data"
 *   metric in one run only            → "only in baseline" / "only in candidate"
 *
 * The CI gate (`--fail-on-regression PCT`) fails on "regressed" rows whose change in the worse
 * direction exceeds PCT % of the baseline mean (`gateFailures`), and also when it had nothing to judge:
 * when the runs share no metric, or no shared metric has the two values a side the test needs
 * (`evaluateGate`). A renamed workload must not switch the gate off by matching nothing.
 */
import { type Direction, metricDirection } from './direction.js';
import { collectSeries, type ReportInput, type ReportRun, type Series, seriesKey } from './samples.js';
import { mean } from './stats.js';
import { assertAlpha, assertRegressionThreshold, DEFAULT_ALPHA } from './thresholds.js';
import { welchTTest } from './welch.js';

export const VERDICTS = [
  'no significant change',
  'improved',
  'regressed',
  'changed',
  'insufficient data',
  'only in baseline',
  'only in candidate',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One side of a comparison row: its sample count and mean. */
export type SideStats = { readonly n: number; readonly mean: number };

export type ComparisonRow = {
  readonly workload: string;
  readonly metric: string;
  readonly unit: string;
  readonly direction: Direction;
  readonly baseline: SideStats | null;
  readonly candidate: SideStats | null;
  /** 100 · (candidate mean − baseline mean) / |baseline mean|; `null` without both sides or with a 0 baseline. */
  readonly changePercent: number | null;
  /** Welch's t (candidate minus baseline), degrees of freedom and two-sided p; `null` when not testable. */
  readonly t: number | null;
  readonly df: number | null;
  readonly p: number | null;
  readonly verdict: Verdict;
};

export type Comparison = {
  readonly baseline: ReportRun;
  readonly candidate: ReportRun;
  readonly alpha: number;
  readonly rows: readonly ComparisonRow[];
};

function side(series: Series | undefined): SideStats | null {
  if (!series) return null;
  return { n: series.samples.length, mean: mean(series.samples.map((s) => s.value)) };
}

function verdictOf(direction: Direction, diff: number, p: number, alpha: number): Verdict {
  if (p >= alpha) return 'no significant change';
  if (direction === 'unknown') return 'changed';
  const better = direction === 'higher' ? diff > 0 : diff < 0;
  return better ? 'improved' : 'regressed';
}

function row(
  id: Pick<Series, 'workload' | 'metric' | 'unit'>,
  base: Series | undefined,
  cand: Series | undefined,
  alpha: number,
): ComparisonRow {
  const direction = metricDirection(id.metric, id.unit);
  const baseline = side(base);
  const candidate = side(cand);
  const none = { t: null, df: null, p: null };
  if (!baseline || !candidate) {
    return {
      ...id,
      direction,
      baseline,
      candidate,
      changePercent: null,
      ...none,
      verdict: baseline ? 'only in baseline' : 'only in candidate',
    };
  }
  const diff = candidate.mean - baseline.mean;
  const changePercent = baseline.mean === 0 ? null : (100 * diff) / Math.abs(baseline.mean);
  const test = welchTTest(
    (cand?.samples ?? []).map((s) => s.value),
    (base?.samples ?? []).map((s) => s.value),
  );
  if (!test)
    return { ...id, direction, baseline, candidate, changePercent, ...none, verdict: 'insufficient data' };
  return {
    ...id,
    direction,
    baseline,
    candidate,
    changePercent,
    t: test.t,
    df: test.df,
    p: test.p,
    verdict: verdictOf(direction, diff, test.p, alpha),
  };
}

/**
 * Compares a candidate run with a baseline run.
 * @example
 * const comparison = compareRuns(baselineInput, candidateInput, { alpha: 0.05 });
 * comparison.rows[0]; // { workload: 'cpu', metric: 'bogo_ops', changePercent: -12.3, p: 0.001, verdict: 'regressed', … }
 */
export function compareRuns(
  baseline: ReportInput,
  candidate: ReportInput,
  options: { alpha?: number } = {},
): Comparison {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  assertAlpha(alpha);
  const baseSeries = collectSeries(baseline);
  const candSeries = collectSeries(candidate);
  const candByKey = new Map(candSeries.map((s) => [seriesKey(s), s]));
  const baseKeys = new Set(baseSeries.map(seriesKey));
  const rows = baseSeries.map((b) => row(b, b, candByKey.get(seriesKey(b)), alpha));
  // Candidate-only series keep the candidate's order, after everything the baseline has.
  for (const c of candSeries) if (!baseKeys.has(seriesKey(c))) rows.push(row(c, undefined, c, alpha));
  return { baseline: baseline.run, candidate: candidate.run, alpha, rows };
}

/**
 * How far a row moved in its worse direction, in % of the baseline mean (negative when it got better).
 * @example
 * regressionPercent({ direction: 'lower', changePercent: 25 }); // 25 (latency up 25 %)
 * regressionPercent({ direction: 'higher', changePercent: -8 }); // 8 (throughput down 8 %)
 */
export function regressionPercent(row: Pick<ComparisonRow, 'direction' | 'changePercent'>): number | null {
  if (row.changePercent === null || row.direction === 'unknown') return null;
  return row.direction === 'higher' ? -row.changePercent : row.changePercent;
}

/**
 * The rows that fail a `--fail-on-regression PCT` gate: regressed significantly by more than PCT %.
 * A regression against a baseline mean of 0 has no percentage and always fails the gate.
 * @example
 * gateFailures(comparison, 5).length > 0; // exit 1 in CI
 */
export function gateFailures(comparison: Comparison, thresholdPercent: number): ComparisonRow[] {
  assertRegressionThreshold(thresholdPercent);
  return comparison.rows.filter((r) => {
    if (r.verdict !== 'regressed') return false;
    const worse = regressionPercent(r);
    return worse === null || worse > thresholdPercent;
  });
}

/** Why a gate had nothing to judge: the runs share no metric, or no shared metric could be tested. */
export type GateProblem = 'no shared metric' | 'no testable metric';

export type Gate = {
  readonly thresholdPercent: number;
  readonly passed: boolean;
  /** The rows that regressed significantly by more than the threshold. */
  readonly failures: readonly ComparisonRow[];
  /** How many metrics both runs have and the test could judge (a p-value on each). */
  readonly tested: number;
  /** Set when the gate failed because it had nothing to judge. */
  readonly problem: GateProblem | null;
};

/**
 * The `--fail-on-regression PCT` gate: failed when a metric regressed significantly by more than PCT %,
 * or when no metric of the two runs could be compared at all.
 * @throws UsageError for a threshold below 0
 * @example
 * evaluateGate(comparison, 5); // { passed: false, failures: [], tested: 0, problem: 'no shared metric', … }
 */
export function evaluateGate(comparison: Comparison, thresholdPercent: number): Gate {
  const failures = gateFailures(comparison, thresholdPercent);
  const shared = comparison.rows.filter((r) => r.baseline !== null && r.candidate !== null);
  const tested = shared.filter((r) => r.p !== null).length;
  const problem: GateProblem | null =
    shared.length === 0 ? 'no shared metric' : tested === 0 ? 'no testable metric' : null;
  return { thresholdPercent, passed: failures.length === 0 && problem === null, failures, tested, problem };
}
