/**
 * `fleetbench report <runId>`: the statistics of a run's completed tasks — per workload × metric × host
 * n, mean, stdev, min, max, CV, a fleet row, and hosts flagged as outliers — as Markdown (default),
 * CSV, JSON or one self-contained HTML file. Data on stdout unless `--output` names a file. The statistics
 * (stdlib's t-test, for the outlier rule) and the renderers are imported when the command runs.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  assertAlpha,
  assertDeviationPercent,
  DEFAULT_ALPHA,
  DEFAULT_DEVIATION_PERCENT,
} from '../../core/report/thresholds.js';
import { globalOptions, runIdArgument, withEngine } from '../context.js';
import type { Io } from '../io.js';
import { numberOption, REPORT_FORMATS, reportFormat } from '../report/options.js';
import { reportInputOf } from '../report/report-input.js';
import { writeFileAtomic } from '../report/write-file.js';
import { loadRunView } from '../run-view.js';

type ReportOptions = { format: string; output?: string; deviation: string; alpha: string };

export function registerReportCommand(program: Command, io: Io): void {
  program
    .command('report')
    .description(
      "statistics of a run's completed tasks per workload, metric and host (n, mean, stdev, min, max, CV), with outlier hosts flagged",
    )
    .argument('<runId>', 'the run', runIdArgument)
    .option(
      '--format <format>',
      `${REPORT_FORMATS.join(', ')} (html: one self-contained file with charts)`,
      'md',
    )
    .option('--output <file>', 'write the report to this file instead of stdout')
    .option(
      '--deviation <pct>',
      'flag hosts whose mean is more than PCT% away from the fleet median',
      String(DEFAULT_DEVIATION_PERCENT),
    )
    .option(
      '--alpha <alpha>',
      'significance level of the outlier rule: a host must also differ from the others by Welch’s t-test',
      String(DEFAULT_ALPHA),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  fleetbench report <runId>\n  fleetbench report <runId> --format html --output report.html\n  fleetbench report <runId> --format csv --deviation 5 > report.csv\n\nThe statistics and the outlier rule: docs/results.md',
    )
    .action(async (runId: string, opts: ReportOptions, command: Command) => {
      const format = reportFormat(opts.format);
      const deviationPercent = numberOption('--deviation', opts.deviation, { percent: true });
      const alpha = numberOption('--alpha', opts.alpha);
      assertDeviationPercent(deviationPercent);
      assertAlpha(alpha);
      const [{ buildRunReport }, { renderReport }] = await Promise.all([
        import('../../core/report/run-report.js'),
        import('../report/render.js'),
      ]);
      const view = await withEngine(io, globalOptions(command), ({ deps }) => loadRunView(deps, runId));
      const text = await renderReport(
        buildRunReport(reportInputOf(view), { deviationPercent, alpha }),
        format,
      );
      if (opts.output === undefined) {
        io.out(text);
        return;
      }
      const path = resolve(io.cwd, opts.output);
      await writeFileAtomic(path, text);
      io.err(`Wrote the ${format} report of ${runId} to ${path}\n`);
    });
}
