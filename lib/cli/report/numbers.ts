/**
 * How the report formats numbers for people (Markdown, HTML, the compare table): metric values with
 * format.ts's significant-digit rule, percentages signed with one decimal, missing values as "-".
 * CSV and JSON keep full precision instead.
 */
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
