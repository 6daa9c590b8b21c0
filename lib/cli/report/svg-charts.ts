/**
 * The two charts the HTML report draws for every metric, as inline SVG strings: a bar per host (mean,
 * with a ±1 stdev error bar, the fleet median as a dashed line and the outlier band around it shaded)
 * and a scatter of every repetition's value per host. Drawn here rather than in the browser so the
 * report is a plain file that renders anywhere — no script needed to see the numbers — and so the
 * charts are testable as strings.
 *
 * Every chart is `<svg data-metric="workload/metric" data-chart="bars|scatter|zero">`, and every mark
 * carries `data-host`, which the report's small script uses to highlight one host everywhere.
 *
 * Honest axes: a metric none of whose values is negative (a count, a throughput, a latency) has a natural
 * floor of 0 — its axes never go below 0 and its error bars stop there (the cut end has no cap), so no bar
 * suggests a negative throughput that never happened. A metric whose every value is 0 gets one chart that
 * says so instead of two empty ones. Numbers carry SI prefixes (numbers.ts).
 *
 * Large fleets: a chart grows by 26 px a host from 16 hosts on instead of thinning its bars, host labels slant
 * (and are cut past 14 characters), and past 8 hosts — where no palette keeps every colour apart at a glance
 * — the scatter puts each host in its own column, so position, not colour, says which host a point is.
 *
 * Two small pieces stay hand-written: escaping (five characters) and the 1-2-5 axis ticks (niceScale, twenty
 * tested lines), where d3-scale would bring d3-array, d3-interpolate and d3-time along for one function.
 */
import type { MetricReport } from '../../core/report/run-report.js';
import { hostColour, SMALL_FLEET_COLOURS } from './host-palette.js';
import { axisLabels, formatShort, formatValue } from './numbers.js';

const BASE_WIDTH = 480;
const MARGIN = { top: 20, right: 12, left: 62 } as const;
const PLOT_H = 180;
/** Where the x axis is; the host labels hang below it. */
const PLOT_BOTTOM = MARGIN.top + PLOT_H;
/** A label character's width at the ticks' 10 px, a little more than system-ui's average. */
const CHAR_W = 6;
/** The height of the all-zero notice: a line of text, not a plot. */
const ZERO_H = 72;
/** Width a host gets in a large fleet's chart: the chart grows rather than its bars shrinking to slivers. */
const HOST_SLOT = 26;
/** Host labels longer than this are cut (the whole name is in the label's tooltip). */
const LABEL_CHARS = 14;

/** A chart's width for `columns` hosts, and its plot area's. */
function layout(columns: number): { width: number; plotW: number } {
  const width = Math.max(BASE_WIDTH, MARGIN.left + MARGIN.right + HOST_SLOT * columns);
  return { width, plotW: width - MARGIN.left - MARGIN.right };
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

/**
 * The lowest value a metric can take as its values show it: 0 when none is negative, else none.
 * @example
 * naturalFloor(report.metrics[0]); // 0 for bogo_ops
 */
export function naturalFloor(metric: MetricReport): number | null {
  return metric.fleet.min >= 0 ? 0 : null;
}

/** Whether every value of the metric is 0: nothing to draw, and the report says so. */
export function allZero(metric: MetricReport): boolean {
  return metric.fleet.min === 0 && metric.fleet.max === 0;
}

function yAxis(
  scale: { min: number; max: number; ticks: number[] },
  y: (v: number) => number,
  unit: string,
  width: number,
): string {
  const labels = axisLabels(scale.ticks, unit);
  const lines = scale.ticks.map((t, i) => {
    const ty = fixed(y(t));
    return (
      `<line class="grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${ty}" y2="${ty}"/>` +
      `<text class="tick" x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeHtml(labels[i] ?? '')}</text>`
    );
  });
  // The x axis, where the floor is: the line error bars must not cross.
  const base = fixed(PLOT_BOTTOM);
  const axis = `<line class="axis" data-axis="x" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${base}" y2="${base}"/>`;
  const label = unit
    ? `<text class="axis-label" transform="translate(14 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(unit)}</text>`
    : '';
  return lines.join('') + axis + label;
}

function frame(
  metric: MetricReport,
  kind: 'bars' | 'scatter',
  title: string,
  body: string,
  width: number,
  height: number,
): string {
  const id = `${metric.workload}/${metric.metric}`;
  // A chart wider than the base takes a row of its own in the report (html.ts, `.chart.wide`).
  const wide = width > BASE_WIDTH ? ' wide' : '';
  return (
    `<svg class="chart${wide}" data-metric="${escapeHtml(id)}" data-chart="${kind}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${escapeHtml(`${title}: ${id}`)}"><title>${escapeHtml(`${title}: ${id}`)}</title>${body}</svg>`
  );
}

/** Host labels under the x axis: level when few and short, slanted when many, steeper past a dozen. */
function labelAngle(labels: readonly string[]): number {
  if (labels.length > 12) return -60;
  return labels.length > 6 || labels.some((l) => l.length > 10) ? -35 : 0;
}

/** The chart's height: the plot, and below it room for its longest label at its angle, so none is cut. */
function chartHeight(labels: readonly string[], angle: number): number {
  const longest = Math.min(LABEL_CHARS, Math.max(0, ...labels.map((l) => l.length))) * CHAR_W;
  const rad = (Math.abs(angle) * Math.PI) / 180;
  const depth = angle === 0 ? 10 : longest * Math.sin(rad) + 10 * Math.cos(rad);
  return Math.ceil(PLOT_BOTTOM + 14 + depth + 8);
}

function xLabel(x: number, text: string, angle: number): string {
  const y = PLOT_BOTTOM + 14;
  const cut = text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
  const tip = cut === text ? '' : `<title>${escapeHtml(text)}</title>`;
  return angle === 0
    ? `<text class="tick x-label" x="${fixed(x)}" y="${y}" text-anchor="middle">${tip}${escapeHtml(cut)}</text>`
    : `<text class="tick x-label" x="${fixed(x)}" y="${y}" text-anchor="end" transform="rotate(${angle} ${fixed(x)} ${y})">${tip}${escapeHtml(cut)}</text>`;
}

/**
 * Mean per host as a bar, ±1 sample stdev as an error bar (cut at the metric's natural floor), the fleet
 * median dashed and labelled, and the band median ± threshold shaded; outlier bars get the `outlier` class.
 * @example
 * barChart(report.metrics[0], report.deviationPercent, report.run.hosts); // '<svg class="chart" data-metric="cpu/bogo_ops" data-chart="bars" …'
 */
export function barChart(
  metric: MetricReport,
  deviationPercent: number,
  hostOrder: readonly string[],
): string {
  const hosts = metric.hosts;
  const { width, plotW } = layout(hosts.length);
  const median = metric.fleet.medianOfHostMeans;
  const band = (Math.abs(median) * deviationPercent) / 100;
  const floor = naturalFloor(metric);
  const clip = (v: number) => (floor === null ? v : Math.max(floor, v));
  const tops = hosts.map((h) => h.mean + (h.stdev ?? 0));
  const bottoms = hosts.map((h) => clip(h.mean - (h.stdev ?? 0)));
  const scale = niceScale(Math.min(0, ...bottoms, clip(median - band)), Math.max(0, ...tops, median + band));
  const y = (v: number) => PLOT_BOTTOM - ((v - scale.min) / (scale.max - scale.min)) * PLOT_H;
  const slot = plotW / Math.max(1, hosts.length);
  const barW = Math.min(48, slot * 0.6);
  const angle = labelAngle(hosts.map((h) => h.host));
  const parts: string[] = [yAxis(scale, y, metric.unit, width)];
  if (median !== 0 && Number.isFinite(median)) {
    parts.push(
      `<rect class="band" x="${MARGIN.left}" width="${plotW}" y="${fixed(y(median + band))}" height="${fixed(Math.max(0, y(clip(median - band)) - y(median + band)))}"/>`,
    );
  }
  hosts.forEach((h, i) => {
    const cx = MARGIN.left + slot * (i + 0.5);
    const top = y(Math.max(h.mean, 0));
    const bottom = y(Math.min(h.mean, 0));
    const tip = `${h.host}: mean ${formatValue(h.mean, metric.unit)} ± ${formatValue(h.stdev, metric.unit)} (n=${h.n})`;
    parts.push(
      `<rect data-mark="bar" data-host="${escapeHtml(h.host)}" class="bar${h.outlier ? ' outlier' : ''}" ` +
        `x="${fixed(cx - barW / 2)}" y="${fixed(top)}" width="${fixed(barW)}" height="${fixed(Math.max(0.5, bottom - top))}" ` +
        `fill="${hostColour(h.host, hostOrder)}"><title>${escapeHtml(tip)}</title></rect>`,
    );
    if (h.stdev !== null) {
      const hi = fixed(y(h.mean + h.stdev));
      const clipped = clip(h.mean - h.stdev) !== h.mean - h.stdev;
      const lo = fixed(y(clip(h.mean - h.stdev)));
      const cap = fixed(barW / 4);
      // A cut end has no cap: the spread goes on below the floor in the numbers, not in the picture.
      parts.push(
        `<g class="errorbar${clipped ? ' clipped' : ''}" data-host="${escapeHtml(h.host)}">` +
          `<line x1="${fixed(cx)}" x2="${fixed(cx)}" y1="${hi}" y2="${lo}"/>` +
          `<line x1="${fixed(cx - cap)}" x2="${fixed(cx + cap)}" y1="${hi}" y2="${hi}"/>` +
          (clipped ? '' : `<line x1="${fixed(cx - cap)}" x2="${fixed(cx + cap)}" y1="${lo}" y2="${lo}"/>`) +
          '</g>',
      );
    }
    parts.push(xLabel(cx, h.host, angle));
  });
  if (Number.isFinite(median)) {
    const my = fixed(y(median));
    const label = `median ${formatShort(median, metric.unit)}, ± ${deviationPercent}% shaded`;
    parts.push(
      `<line class="median" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${my}" y2="${my}">` +
        `<title>${escapeHtml(`fleet median ${formatValue(median, metric.unit)} (± ${deviationPercent}% shaded)`)}</title></line>` +
        `<text class="median-label" x="${width - MARGIN.right}" y="${MARGIN.top - 6}" text-anchor="end">${escapeHtml(label)}</text>`,
    );
  }
  const height = chartHeight(
    hosts.map((h) => h.host),
    angle,
  );
  return frame(metric, 'bars', 'Mean per host ± stdev', parts.join(''), width, height);
}

/**
 * Every repetition's value, one colour per host. Up to 8 hosts, x is the repetition (hosts side by side
 * within it), which shows a drift from one repetition to the next; past 8, colours alone no longer tell
 * hosts apart, so x is the host, as in the bar chart, and its repetitions stand in its column.
 * @example
 * scatterChart(report.metrics[0], report.run.hosts); // '<svg class="chart" data-metric="cpu/bogo_ops" data-chart="scatter" …'
 */
export function scatterChart(metric: MetricReport, hostOrder: readonly string[]): string {
  const hosts = metric.hosts;
  const byHost = hosts.length > SMALL_FLEET_COLOURS.length;
  const values = hosts.flatMap((h) => h.values.map((v) => v.value));
  const reps = [...new Set(hosts.flatMap((h) => h.values.map((v) => v.rep)))].sort((a, b) => a - b);
  const { width, plotW } = layout(byHost ? hosts.length : 0);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.1;
  const floor = naturalFloor(metric);
  const scale = niceScale(floor === null ? lo - pad : Math.max(floor, lo - pad), hi + pad);
  const y = (v: number) => PLOT_BOTTOM - ((v - scale.min) / (scale.max - scale.min)) * PLOT_H;
  const columns = byHost ? hosts.length : reps.length;
  const slot = plotW / Math.max(1, columns);
  const repIndex = new Map(reps.map((r, i) => [r, i]));
  const parts: string[] = [yAxis(scale, y, metric.unit, width)];
  const labels = byHost ? hosts.map((h) => h.host) : reps.map((rep) => `rep ${rep}`);
  const angle = byHost ? labelAngle(labels) : reps.length > 12 ? -35 : 0;
  labels.forEach((label, i) => {
    parts.push(xLabel(MARGIN.left + slot * (i + 0.5), label, angle));
  });
  // Within a column, points spread out so that equal values do not hide each other.
  const within = byHost ? reps.length : hosts.length;
  const spread = Math.min(slot * 0.6, 12 * within);
  const offsetOf = (index: number) => (within > 1 ? (index / (within - 1) - 0.5) * spread : 0);
  hosts.forEach((h, hostIndex) => {
    for (const v of h.values) {
      const repAt = repIndex.get(v.rep) ?? 0;
      const cx = byHost
        ? MARGIN.left + slot * (hostIndex + 0.5) + offsetOf(repAt)
        : MARGIN.left + slot * (repAt + 0.5) + offsetOf(hostIndex);
      parts.push(
        `<circle data-mark="point" data-host="${escapeHtml(h.host)}" class="point${h.outlier ? ' outlier' : ''}" ` +
          `cx="${fixed(cx)}" cy="${fixed(y(v.value))}" r="${byHost ? 3 : 4}" fill="${hostColour(h.host, hostOrder)}">` +
          `<title>${escapeHtml(`${h.host} rep ${v.rep}: ${formatValue(v.value, metric.unit)}`)}</title></circle>`,
      );
    }
  });
  const title = byHost ? 'Every repetition, one column per host' : 'Every repetition per host';
  return frame(metric, 'scatter', title, parts.join(''), width, chartHeight(labels, angle));
}

/**
 * The one chart of a metric whose every value is 0: a sentence in place of bars of height 0.
 * @example
 * zeroChart(report.metrics[3]); // '<svg class="chart zero" data-metric="iperf3/retransmits" data-chart="zero" …'
 */
export function zeroChart(metric: MetricReport): string {
  const f = metric.fleet;
  const unit = metric.unit ? ` (${metric.unit})` : '';
  const text = `Every value is 0${unit}: ${f.n} repetition${f.n === 1 ? '' : 's'} on ${f.hosts} host${f.hosts === 1 ? '' : 's'}.`;
  const id = `${metric.workload}/${metric.metric}`;
  const plotW = BASE_WIDTH - MARGIN.left - MARGIN.right;
  const body =
    `<rect class="zero-box" x="${MARGIN.left}" y="12" width="${plotW}" height="${ZERO_H - 24}" rx="6"/>` +
    `<text data-mark="zero" class="zero-text" x="${MARGIN.left + plotW / 2}" y="${ZERO_H / 2}" text-anchor="middle" dominant-baseline="middle">${escapeHtml(text)}</text>`;
  return (
    `<svg class="chart zero" data-metric="${escapeHtml(id)}" data-chart="zero" viewBox="0 0 ${BASE_WIDTH} ${ZERO_H}" ` +
    `role="img" aria-label="${escapeHtml(`${id}: ${text}`)}"><title>${escapeHtml(`${id}: ${text}`)}</title>${body}</svg>`
  );
}
