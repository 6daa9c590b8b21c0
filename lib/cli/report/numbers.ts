/**
 * How the report formats numbers for people (Markdown, HTML, the compare table): metric values with
 * format.ts's significant-digit rule, percentages signed with one decimal, missing values as "-", and the
 * note on warm-up tasks beside the task counts. CSV and JSON keep full precision instead.
 */
import type { Summary } from '../../core/report/stats.js';
import { formatNumber } from '../format.js';

/**
 * @example
 * formatValue(1234.5678); // '1235'
 * formatValue(null); // '-'
 */
export function formatValue(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? '-' : formatNumber(value);
}

/**
 * A signed percentage with one decimal.
 * @example
 * formatPercent(12.345); // '+12.3%'
 * formatPercent(-0.04); // '-0.0%'
 * formatPercent(null); // '-'
 */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return value > 0 ? '+∞%' : '-∞%';
  const fixed = value.toFixed(1);
  return `${value >= 0 && !fixed.startsWith('-') ? '+' : ''}${fixed}%`;
}

/**
 * An unsigned percentage with one decimal (a coefficient of variation).
 * @example
 * formatPlainPercent(3.14159); // '3.1%'
 */
export function formatPlainPercent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : `${value.toFixed(1)}%`;
}

/**
 * A summary's columns as the report tables show them: n, mean, stdev, min, max, CV.
 * @example
 * summaryCells({ n: 2, mean: 11, stdev: 1.414, min: 10, max: 12, cvPercent: 12.86 });
 * // ['2', '11', '1.414', '10', '12', '12.9%']
 */
export function summaryCells(s: Summary): string[] {
  return [
    String(s.n),
    formatValue(s.mean),
    formatValue(s.stdev),
    formatValue(s.min),
    formatValue(s.max),
    formatPlainPercent(s.cvPercent),
  ];
}

/**
 * A p-value: four decimals, or scientific notation below 0.0001.
 * @example
 * formatP(0.0213); // '0.0213'
 * formatP(3.2e-9); // '3.2e-9'
 */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return '-';
  if (p === 0) return '0';
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/**
 * The warm-ups among a run's tasks, said where the tasks are counted: the statistics below leave them out.
 * @example
 * warmupNote(6); // ' (6 of them warm-ups, left out of the statistics)'
 */
export function warmupNote(warmupTasks: number | undefined): string {
  return warmupTasks ? ` (${warmupTasks} of them warm-ups, left out of the statistics)` : '';
}
