/**
 * How the report formats numbers for people (Markdown, HTML and its charts, the compare table): metric
 * values with SI prefixes (`16.78 MB`, `4.013 M ops/s`), percentages signed with one decimal, missing values
 * as "-", and the note on warm-up tasks beside the task counts. CSV and JSON keep full precision instead.
 * The prefixes and an axis's tick precision are d3-format's (`format('s')`, `formatPrefix`,
 * `precisionFixed`), the library d3's own axes use.
 *
 * A prefix joins a base unit without a space (`MB`, `kHz`, `ms`); before any other unit it stands alone
 * (`4.0 M ops/s`), so it never reads as part of a unit word. A unit that already has a scale (`ms`, `MiB/s`,
 * `Mbit/s`, `KiB`) takes none: `1500 ms`, not `1.5 k ms`. Values below 1 get a prefix (m, µ, n) only before a
 * base unit: a thousandth of an op is `0.001 ops`, not `1 m ops`.
 */
import { format, formatPrefix, precisionFixed } from 'd3-format';
import type { Summary } from '../../core/report/stats.js';
import { formatNumber } from '../format.js';

const BASE = '(?:B|b|bit|bits|s|Hz|W|J|V|A|bps|B/s|b/s|bit/s)';
/** Units a prefix joins directly: bytes, bits, seconds, hertz, watts, and their rates. */
const BASE_UNIT = new RegExp(`^${BASE}$`);
/** Units that carry a scale of their own (decimal or binary): no second prefix on them. */
const SCALED_UNIT = new RegExp(`^(?:[kKMGTPE]i?|[mµun])${BASE}$|^(?:min|h)$`);
/** d3-format's SI output: the digits, then one prefix letter (µ for micro). */
const PREFIXED = /^(-?[0-9.]+)([yzafpnµmkMGTPEZY]?)$/;
const EXPONENT: Readonly<Record<string, number>> = {
  y: -24,
  z: -21,
  a: -18,
  f: -15,
  p: -12,
  n: -9,
  µ: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
  Z: 21,
  Y: 24,
};

function joinUnit(number: string, prefix: string, unit: string): string {
  if (unit === '') return prefix === '' ? number : `${number} ${prefix}`;
  if (BASE_UNIT.test(unit)) return `${number} ${prefix}${unit}`;
  return prefix === '' ? `${number} ${unit}` : `${number} ${prefix} ${unit}`;
}

function split(text: string): { number: string; prefix: string } {
  const m = PREFIXED.exec(text.replace('\u2212', '-'));
  return m ? { number: m[1] ?? text, prefix: m[2] ?? '' } : { number: text, prefix: '' };
}

function wantsPrefix(value: number, unit: string): boolean {
  if (SCALED_UNIT.test(unit)) return false;
  const abs = Math.abs(value);
  return abs >= 1000 || (abs > 0 && abs < 1 && BASE_UNIT.test(unit));
}

function missing(value: number | null | undefined): value is null | undefined {
  return value === null || value === undefined || Number.isNaN(value);
}

function infinite(value: number, unit: string): string | null {
  if (Number.isFinite(value)) return null;
  return joinUnit(value > 0 ? '∞' : '-∞', '', unit);
}

/**
 * A metric value for a table or a tooltip: four significant digits with an SI prefix from 1000 up,
 * format.ts's rule below (`108`, `10.42`); with its unit when one is given.
 * @example
 * formatValue(1234.5678); // '1.235 k'
 * formatValue(16_780_000, 'B'); // '16.78 MB'
 * formatValue(4_013_000, 'ops/s'); // '4.013 M ops/s'
 * formatValue(0.0042, 's'); // '4.2 ms'
 * formatValue(1500, 'ms'); // '1500 ms'
 * formatValue(null); // '-'
 */
export function formatValue(value: number | null | undefined, unit = ''): string {
  if (missing(value)) return '-';
  const inf = infinite(value, unit);
  if (inf !== null) return inf;
  if (!wantsPrefix(value, unit)) return joinUnit(formatNumber(value), '', unit);
  const { number, prefix } = split(format('.4~s')(value));
  return joinUnit(number, prefix, unit);
}

/**
 * A value where space is short (a chart's labels): one decimal below 100 in its prefix, none above.
 * @example
 * formatShort(16_780_000, 'B'); // '16.8 MB'
 * formatShort(4_000_000, 'ops/s'); // '4.0 M ops/s'
 * formatShort(123_456); // '123 k'
 * formatShort(999_960, 'B'); // '1.0 MB'
 */
export function formatShort(value: number | null | undefined, unit = ''): string {
  if (missing(value)) return '-';
  const inf = infinite(value, unit);
  if (inf !== null) return inf;
  if (!wantsPrefix(value, unit)) {
    const abs = Math.abs(value);
    const text = abs >= 100 ? value.toFixed(0) : abs >= 1 ? value.toFixed(1) : formatNumber(value);
    return joinUnit(text, '', unit);
  }
  // The prefix is the one three significant digits land in, so 999 960 B is 1.0 MB, not 1000.0 kB.
  const probe = split(format('.3s')(value));
  const scale = 10 ** (EXPONENT[probe.prefix] ?? 0);
  const digits = Math.abs(Number(probe.number)) >= 100 ? 0 : 1;
  const { number, prefix } = split(formatPrefix(`.${digits}`, scale)(value));
  return joinUnit(number, prefix, unit);
}

/**
 * An axis's tick labels, without the unit (the axis's title has it): one prefix for the whole axis (that
 * of its largest tick) from 10 000 up, and just enough decimals to tell neighbouring ticks apart — d3's
 * own rule for ticks.
 * @example
 * axisLabels([0, 5_000_000, 10_000_000, 15_000_000]); // ['0', '5 M', '10 M', '15 M']
 * axisLabels([0, 0.2, 0.4]); // ['0', '0.2', '0.4']
 * axisLabels([0, 20_000, 40_000], 'ms'); // ['0', '20000', '40000']
 */
export function axisLabels(ticks: readonly number[], unit = ''): string[] {
  if (ticks.length === 0) return [];
  const largest = Math.max(...ticks.map(Math.abs));
  const step = ticks.length > 1 ? Math.abs((ticks[1] ?? 0) - (ticks[0] ?? 0)) : largest || 1;
  // Below 10 000 plain numbers read better than a shared prefix (`2000`, not `2 k`).
  if (largest < 10_000 || SCALED_UNIT.test(unit)) {
    const render = format(`.${precisionFixed(step)}f`);
    return ticks.map((t) => (t === 0 ? '0' : render(t).replace('\u2212', '-')));
  }
  const scale = 10 ** (EXPONENT[split(format('.3s')(largest)).prefix] ?? 0);
  const render = formatPrefix(`.${precisionFixed(step / scale)}`, scale);
  return ticks.map((t) => {
    if (t === 0) return '0';
    const { number, prefix } = split(render(t));
    return prefix === '' ? number : `${number} ${prefix}`;
  });
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
 * A summary's columns as the report tables show them: n, mean, stdev, min, max (with the unit, so a prefix
 * reads as part of it), CV.
 * @example
 * summaryCells({ n: 2, mean: 11, stdev: 1.414, min: 10, max: 12, cvPercent: 12.86 }, 'ms');
 * // ['2', '11 ms', '1.414 ms', '10 ms', '12 ms', '12.9%']
 */
export function summaryCells(s: Summary, unit = ''): string[] {
  return [
    String(s.n),
    formatValue(s.mean, unit),
    formatValue(s.stdev, unit),
    formatValue(s.min, unit),
    formatValue(s.max, unit),
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
