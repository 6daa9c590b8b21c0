/**
 * Command-line values of the results commands (`--deviation`, `--alpha`, `--fail-on-regression`,
 * `--format`): parsed strictly, so `--deviation 10%` or `--format pdf` is a one-line UsageError
 * (exit 2) instead of a NaN that silently flags nothing.
 */
import { UsageError } from '../../core/errors.js';

/**
 * A finite number from an option value; a trailing `%` is accepted for percentages.
 * @throws UsageError naming the option
 * @example
 * numberOption('--deviation', '12.5'); // 12.5
 * numberOption('--deviation', '10%', { percent: true }); // 10
 */
export function numberOption(name: string, value: string, options: { percent?: boolean } = {}): number {
  const text = options.percent ? value.trim().replace(/%$/, '') : value.trim();
  const n = text === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n)) {
    throw new UsageError(`${name} must be a number, got ${JSON.stringify(value)}`, {
      hint: `e.g. ${name} ${options.percent ? '10' : '0.05'}`,
    });
  }
  return n;
}

export const REPORT_FORMATS = ['md', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * @throws UsageError for a format that is not md, csv, json or html
 * @example
 * reportFormat('html'); // 'html'
 */
export function reportFormat(value: string): ReportFormat {
  const format = REPORT_FORMATS.find((f) => f === value.toLowerCase());
  if (!format) {
    throw new UsageError(`unknown report format ${JSON.stringify(value)}`, {
      hint: `use --format ${REPORT_FORMATS.join('|')}`,
    });
  }
  return format;
}
