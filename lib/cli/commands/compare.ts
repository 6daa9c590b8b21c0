/**
 * `fleetbench compare <baselineRunId> <runId>`: the same metrics of two runs side by side, with the
 * change, Welch's p-value and a verdict — as a table (`--format text`, the default), as Markdown for a
 * pull-request comment (`--format md`) or as JSON (`--format json`, or `--json`). With
 * `--fail-on-regression PCT` it is a CI performance gate: exit 1 when any metric regressed significantly by
 * more than PCT %, or when the two runs have no metric the test can compare; else 0.
 *
 * The statistics (stdlib's t-test) and the renderers are imported when the command runs, not for `--help`.
 */
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { assertAlpha, assertRegressionThreshold, DEFAULT_ALPHA } from '../../core/report/thresholds.js';
import { globalOptions, runIdArgument, withEngine } from '../context.js';
import { CliExit, type Io } from '../io.js';
import { numberOption } from '../report/options.js';
import { reportInputOf } from '../report/report-input.js';
import { loadRunView } from '../run-view.js';

export const COMPARE_FORMATS = ['text', 'md', 'json'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

type CompareOptions = { alpha: string; failOnRegression?: string; json?: boolean; format?: string };

/**
 * The output format from `--format` and `--json` (which is `--format json`).
 * @throws UsageError for an unknown format, or `--json` with another format
 * @example
 * compareFormat({ format: 'md' }); // 'md'
 */
export function compareFormat(opts: { format?: string; json?: boolean }): CompareFormat {
  const wanted = opts.format?.toLowerCase();
  const format =
    wanted === undefined ? (opts.json ? 'json' : 'text') : COMPARE_FORMATS.find((f) => f === wanted);
  if (format === undefined) {
    throw new UsageError(`unknown compare format ${JSON.stringify(opts.format)}`, {
      hint: `use --format ${COMPARE_FORMATS.join('|')}`,
    });
  }
  if (opts.json && format !== 'json') {
    throw new UsageError(`--json contradicts --format ${format}`, { hint: 'use one of them' });
  }
  return format;
}

export function registerCompareCommand(program: Command, io: Io): void {
  program
    .command('compare')
    .description(
      'compare a run with a baseline run metric by metric: % change, Welch t-test p-value, verdict (improved, regressed, no significant change)',
    )
    .argument('<baselineRunId>', 'the run to compare against', runIdArgument)
    .argument('<runId>', 'the candidate run', runIdArgument)
    .option('--alpha <alpha>', 'significance level of the t-test', String(DEFAULT_ALPHA))
    .option(
      '--fail-on-regression <pct>',
      'exit 1 when a metric regressed significantly by more than PCT%, or when no metric can be compared (a CI performance gate)',
    )
    .option('--format <format>', `${COMPARE_FORMATS.join(', ')} (md: a summary for a pull-request comment)`)
    .option('--json', 'print {baseline, candidate, alpha, rows: [...], gate} as JSON (same as --format json)')
    .addHelpText(
      'after',
      '\nExamples:\n  fleetbench compare <baselineRunId> <runId>\n  fleetbench compare <baselineRunId> <runId> --fail-on-regression 5   # in CI\n  fleetbench compare <baselineRunId> <runId> --fail-on-regression 5 --format md > comment.md\n\nVerdicts, the direction rule and the gate: docs/results.md',
    )
    .action(async (baselineId: string, runId: string, opts: CompareOptions, command: Command) => {
      const format = compareFormat(opts);
      const alpha = numberOption('--alpha', opts.alpha);
      const threshold =
        opts.failOnRegression === undefined
          ? undefined
          : numberOption('--fail-on-regression', opts.failOnRegression, { percent: true });
      // Bad options are refused before the engine opens.
      assertAlpha(alpha);
      if (threshold !== undefined) assertRegressionThreshold(threshold);
      const { compareRuns, evaluateGate } = await import('../../core/report/compare.js');
      const [baseline, candidate] = await withEngine(io, globalOptions(command), ({ deps }) =>
        Promise.all([loadRunView(deps, baselineId), loadRunView(deps, runId)]),
      );
      const comparison = compareRuns(reportInputOf(baseline), reportInputOf(candidate), { alpha });
      const gate = threshold === undefined ? null : evaluateGate(comparison, threshold);
      if (format === 'json') {
        const { stableJson } = await import('../../core/report/stable-json.js');
        io.out(stableJson({ ...comparison, gate }));
      } else if (format === 'md') {
        const { renderComparisonMarkdown } = await import('../report/compare-markdown.js');
        io.out(renderComparisonMarkdown(comparison, gate));
      } else {
        const { renderComparison } = await import('../report/compare-text.js');
        io.out(renderComparison(io, comparison, gate));
      }
      if (gate !== null && !gate.passed) throw new CliExit(1);
    });
}
