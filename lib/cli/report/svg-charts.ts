/**
 * The two charts the HTML report draws for every metric, as inline SVG strings: a bar per host (mean,
 * with a ±1 stdev error bar, the fleet median as a dashed line and the outlier band around it shaded)
 * and a scatter of every repetition's value per host. Drawn here rather than in the browser so the
 * report is a plain file that renders anywhere — no script needed to see the numbers — and so the
 * charts are testable as strings.
 *
 * Every chart is `<svg data-metric="workload/metric" data-chart="bars|scatter">`, and every mark
 * carries `data-host`, which the report's small script uses to highlight one host everywhere.
 */
import type { MetricReport } from '../../core/report/run-report.js';
import { formatValue } from './numbers.js';

const WIDTH = 480;
const HEIGHT = 260;
const MARGIN = { top: 16, right: 12, bottom: 52, left: 62 } as const;
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** Distinct, colour-blind-friendly host colours (Okabe–Ito, then Tableau), cycled for larger fleets. */
export const HOST_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#4E79A7',
  '#59A14F',
  '#B07AA1',
] as const;

/**
 * A host's colour: by its place in the run's host list, so a host has the same colour in every chart
 * even when a metric is reported by some hosts only (iperf3's server and clients).
 * @example
 * hostColour('host-2', ['host-1', 'host-2']); // '#E69F00'
 */
export function hostColour(host: string, hostOrder: readonly string[]): string {
  const index = Math.max(0, hostOrder.indexOf(host));
  return HOST_COLOURS[index % HOST_COLOURS.length] ?? '#555';
}

/**
 * Escapes text for HTML and SVG content and attribute values.
 * @example
 * escapeHtml('<a href="x">'); // '&lt;a href=&quot;x&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A round step near range / count: 1, 2 or 5 times a power of ten. */
function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/**
 * An axis from `lo` to `hi` widened to round numbers, with its ticks.
 * @example
 * niceScale(0, 93); // { min: 0, max: 100, ticks: [0, 20, 40, 60, 80, 100] }
 */
export function niceScale(lo: number, hi: number, count = 5): { min: number; max: number; ticks: number[] } {
  let low = lo;
  let high = hi;
  if (!(Number.isFinite(low) && Number.isFinite(high))) return { min: 0, max: 1, ticks: [0, 1] };
  if (low === high) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  const step = niceStep(high - low, count);
  // toPrecision(12) drops the float noise of multiplying by a step such as 0.2 (5.6000000000000005).
  const min = Number((Math.floor(low / step) * step).toPrecision(12));
  const max = Number((Math.ceil(high / step) * step).toPrecision(12));
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step / 2; i++) ticks.push(Number((min + i * step).toPrecision(12)));
  return { min, max, ticks };
}

const fixed = (n: number) => Number(n.toFixed(2));

function yAxis(
  scale: { min: number; max: number; ticks: number[] },
  y: (v: number) => number,
  unit: string,
): string {
  const lines = scale.ticks.map((t) => {
    const ty = fixed(y(t));
    return (
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}"/>` +
      `<text class="tick" x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeHtml(formatValue(t))}</text>`
    );
  });
  const label = unit
    ? `<text class="axis-label" transform="translate(14 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(unit)}</text>`
    : '';
  return lines.join('') + label;
}

function frame(metric: MetricReport, kind: 'bars' | 'scatter', title: string, body: string): string {
  const id = `${metric.workload}/${metric.metric}`;
  return (
    `<svg class="chart" data-metric="${escapeHtml(id)}" data-chart="${kind}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
    `role="img" aria-label="${escapeHtml(`${title}: ${id}`)}"><title>${escapeHtml(`${title}: ${id}`)}</title>${body}</svg>`
  );
}

function xLabel(x: number, text: string, rotate: boolean): string {
  const y = MARGIN.top + PLOT_H + 14;
  return rotate
    ? `<text class="tick" x="${fixed(x)}" y="${y}" text-anchor="end" transform="rotate(-35 ${fixed(x)} ${y})">${escapeHtml(text)}</text>`
    : `<text class="tick" x="${fixed(x)}" y="${y}" text-anchor="middle">${escapeHtml(text)}</text>`;
}

/**
 * Mean per host as a bar, ±1 sample stdev as an error bar, the fleet median dashed and the band
 * median ± threshold shaded; outlier bars get the `outlier` class.
 * @example
 * barChart(report.metrics[0], report.deviationPercent, report.run.hosts); // '<svg class="chart" data-metric="cpu/bogo_ops" data-chart="bars" …'
 */
export function barChart(
  metric: MetricReport,
  deviationPercent: number,
  hostOrder: readonly string[],
): string {
  const hosts = metric.hosts;
  const median = metric.fleet.medianOfHostMeans;
  const band = (Math.abs(median) * deviationPercent) / 100;
  const tops = hosts.map((h) => h.mean + (h.stdev ?? 0));
  const bottoms = hosts.map((h) => h.mean - (h.stdev ?? 0));
  const scale = niceScale(Math.min(0, ...bottoms, median - band), Math.max(0, ...tops, median + band));
  const y = (v: number) => MARGIN.top + PLOT_H - ((v - scale.min) / (scale.max - scale.min)) * PLOT_H;
  const slot = PLOT_W / Math.max(1, hosts.length);
  const barW = Math.min(48, slot * 0.6);
  const rotate = hosts.length > 6 || hosts.some((h) => h.host.length > 10);
  const parts: string[] = [yAxis(scale, y, metric.unit)];
  if (median !== 0 && Number.isFinite(median)) {
    parts.push(
      `<rect class="band" x="${MARGIN.left}" width="${PLOT_W}" y="${fixed(y(median + band))}" height="${fixed(Math.max(0, y(median - band) - y(median + band)))}"/>`,
    );
  }
  hosts.forEach((h, i) => {
    const cx = MARGIN.left + slot * (i + 0.5);
    const top = y(Math.max(h.mean, 0));
    const bottom = y(Math.min(h.mean, 0));
    const tip = `${h.host}: mean ${formatValue(h.mean)} ± ${formatValue(h.stdev)} ${metric.unit} (n=${h.n})`;
    parts.push(
      `<rect data-mark="bar" data-host="${escapeHtml(h.host)}" class="bar${h.outlier ? ' outlier' : ''}" ` +
        `x="${fixed(cx - barW / 2)}" y="${fixed(top)}" width="${fixed(barW)}" height="${fixed(Math.max(0.5, bottom - top))}" ` +
        `fill="${hostColour(h.host, hostOrder)}"><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (h.stdev !== null) {
      const hi = fixed(y(h.mean + h.stdev));
      const lo = fixed(y(h.mean - h.stdev));
      const cap = fixed(barW / 4);
      parts.push(
        `<g class="errorbar" data-host="${escapeHtml(h.host)}">` +
          `<line x1="${fixed(cx)}" x2="${fixed(cx)}" y1="${hi}" y2="${lo}"/>` +
          `<line x1="${fixed(cx - cap)}" x2="${fixed(cx + cap)}" y1="${hi}" y2="${hi}"/>` +
          `<line x1="${fixed(cx - cap)}" x2="${fixed(cx + cap)}" y1="${lo}" y2="${lo}"/></g>`,
      );
    }
    parts.push(xLabel(cx, h.host, rotate));
  });
  if (Number.isFinite(median)) {
    const my = fixed(y(median));
    parts.push(
      `<line class="median" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${my}" y2="${my}">` +
        `<title>${escapeHtml(`fleet median ${formatValue(median)} ${metric.unit} (± ${deviationPercent}% shaded)`)}</title></line>`,
    );
  }
  return frame(metric, 'bars', 'Mean per host ± stdev', parts.join(''));
}

/**
 * Every repetition's value: x = repetition, one colour per host (hosts side by side within a repetition).
 * @example
 * scatterChart(report.metrics[0], report.run.hosts); // '<svg class="chart" data-metric="cpu/bogo_ops" data-chart="scatter" …'
 */
export function scatterChart(metric: MetricReport, hostOrder: readonly string[]): string {
  const hosts = metric.hosts;
  const values = hosts.flatMap((h) => h.values.map((v) => v.value));
  const reps = [...new Set(hosts.flatMap((h) => h.values.map((v) => v.rep)))].sort((a, b) => a - b);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.1;
  const scale = niceScale(lo - pad, hi + pad);
  const y = (v: number) => MARGIN.top + PLOT_H - ((v - scale.min) / (scale.max - scale.min)) * PLOT_H;
  const slot = PLOT_W / Math.max(1, reps.length);
  const repIndex = new Map(reps.map((r, i) => [r, i]));
  const spread = Math.min(slot * 0.6, 12 * hosts.length);
  const parts: string[] = [yAxis(scale, y, metric.unit)];
  reps.forEach((rep, i) => {
    parts.push(xLabel(MARGIN.left + slot * (i + 0.5), `rep ${rep}`, reps.length > 12));
  });
  hosts.forEach((h, hostIndex) => {
    const offset = hosts.length > 1 ? (hostIndex / (hosts.length - 1) - 0.5) * spread : 0;
    for (const v of h.values) {
      const cx = MARGIN.left + slot * ((repIndex.get(v.rep) ?? 0) + 0.5) + offset;
      parts.push(
        `<circle data-mark="point" data-host="${escapeHtml(h.host)}" class="point${h.outlier ? ' outlier' : ''}" ` +
          `cx="${fixed(cx)}" cy="${fixed(y(v.value))}" r="4" fill="${hostColour(h.host, hostOrder)}">` +
          `<title>${escapeHtml(`${h.host} rep ${v.rep}: ${formatValue(v.value)} ${metric.unit}`)}</title></circle>`,
      );
    }
  });
  return frame(metric, 'scatter', 'Every repetition per host', parts.join(''));
}
