/**
 * `fleetbench compare <baselineRunId> <runId>`: the same metrics of two runs side by side, with the
 * change, Welch's p-value and a verdict. With `--fail-on-regression PCT` it is a CI performance gate:
 * exit 1 when any metric regressed significantly by more than PCT %, else 0.
 */
import type { Command } from 'commander';
import { compareRuns, gateFailures } from '../../core/report/compare.js';
import { stableJson } from '../../core/report/stable-json.js';
import { DEFAULT_ALPHA } from '../../core/report/thresholds.js';
import { globalOptions, runIdArgument, withEngine } from '../context.js';
import { CliExit, type Io } from '../io.js';
import { renderComparison } from '../report/compare-text.js';
import { numberOption } from '../report/options.js';
import { reportInputOf } from '../report/report-input.js';
import { loadRunView } from '../run-view.js';

type CompareOptions = { alpha: string; failOnRegression?: string; json?: boolean };

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
      'exit 1 when a metric regressed significantly by more than PCT% (a CI performance gate)',
    )
    .option('--json', 'print {baseline, candidate, alpha, rows: [...], gate} as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  fleetbench compare <baselineRunId> <runId>\n  fleetbench compare <baselineRunId> <runId> --fail-on-regression 5   # in CI\n\nVerdicts and the direction rule: docs/results.md',
    )
    .action(async (baselineId: string, runId: string, opts: CompareOptions, command: Command) => {
      const alpha = numberOption('--alpha', opts.alpha);
      const threshold =
        opts.failOnRegression === undefined
          ? undefined
          : numberOption('--fail-on-regression', opts.failOnRegression, { percent: true });
      const [baseline, candidate] = await withEngine(io, globalOptions(command), ({ deps }) =>
        Promise.all([loadRunView(deps, baselineId), loadRunView(deps, runId)]),
      );
      const comparison = compareRuns(reportInputOf(baseline), reportInputOf(candidate), { alpha });
      const failures = threshold === undefined ? undefined : gateFailures(comparison, threshold);
      if (opts.json) {
        const gate =
          threshold === undefined
            ? null
            : { thresholdPercent: threshold, passed: failures?.length === 0, failures: failures ?? [] };
        io.out(stableJson({ ...comparison, gate }));
      } else {
        io.out(renderComparison(io, comparison, failures, threshold));
      }
      if (failures !== undefined && failures.length > 0) throw new CliExit(1);
    });
}
