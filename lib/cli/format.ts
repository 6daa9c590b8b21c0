/**
 * Text formatting for people: durations, numbers (aligned tables: table.ts). Scripts use `--json` instead.
 */

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s % 60)
    .toString()
    .padStart(2, '0')}s`;
}

export function formatNumber(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(3);
  if (abs >= 100) return value.toFixed(0);
  return value.toPrecision(4).replace(/\.?0+$/, '');
}
