/**
 * Durations as people write them in plans and read them in reports. Plans accept "10m", "1h30m" or a
 * number of seconds; everything downstream works in seconds, so the plan schema normalises once here and
 * a stored plan snapshot never carries a string that would need parsing again.
 */

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1, ms: 0.001 } as const;
type Unit = keyof typeof UNIT_SECONDS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

const COMPONENT = /(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)\s*/y;
const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;

const EXPECTED = 'expected a number of seconds or a duration like 500ms, 30s, 10m, 1h30m, 2d';

function invalid(value: string | number, where: string | undefined, why: string): Error {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new Error(`${where ? `${where}: ` : ''}invalid duration ${shown}: ${why}`);
}

/**
 * Parses a duration into seconds (possibly fractional). A number is already seconds. Units are
 * d, h, m, s and ms, largest first, each at most once; spaces between them are allowed so that
 * `formatDuration`'s output parses back.
 *
 * Throws a plain Error with a readable message: the plan schema turns it into a validation issue.
 * @example
 * parseDuration('1h30m'); // 5400
 * parseDuration('500ms'); // 0.5
 * parseDuration(45); // 45
 * parseDuration('10x', 'timeouts.task'); // throws: timeouts.task: invalid duration "10x": expected …
 */
export function parseDuration(value: string | number, where?: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalid(value, where, 'must be a finite number >= 0');
    return value;
  }
  const text = value.trim();
  if (text === '') throw invalid(value, where, EXPECTED);
  if (PLAIN_NUMBER.test(text)) return Number(text);

  const component = new RegExp(COMPONENT);
  let seconds = 0;
  let lastRank = -1;
  while (component.lastIndex < text.length) {
    const match = component.exec(text);
    if (!match) throw invalid(value, where, EXPECTED);
    const [, amount, unit] = match as unknown as [string, string, Unit];
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) throw invalid(value, where, 'units must go from largest to smallest, each once');
    lastRank = rank;
    seconds += Number(amount) * UNIT_SECONDS[unit];
  }
  return Math.round(seconds * 1e6) / 1e6;
}

/**
 * Formats seconds for people: milliseconds under a second, one decimal under a minute, then whole
 * d/h/m/s components. The output parses back with `parseDuration`.
 * @example
 * formatDuration(3723); // '1h 2m 3s'
 * formatDuration(45); // '45s'
 * formatDuration(0.85); // '850ms'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds === 0) return '0s';
  const ms = Math.round(seconds * 1000);
  if (ms < 1000) return `${ms}ms`;
  const tenths = Math.round(seconds * 10) / 10;
  if (tenths < 60) return `${tenths}s`;

  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const amount = Math.floor(rest / UNIT_SECONDS[unit]);
    rest -= amount * UNIT_SECONDS[unit];
    if (amount > 0) parts.push(`${amount}${unit}`);
  }
  return parts.join(' ');
}
