/**
 * `report --format html`: the run report as ONE self-contained file — inline CSS, inline SVG charts, a
 * few lines of inline script, no network, no fonts, nothing to install — that can be attached to a
 * ticket, archived with the run's export, or opened from a CI artifact. A Content-Security-Policy
 * forbids every external load, so the file cannot phone home even if a future edit tried.
 *
 * For every metric: a bar chart of each host's mean ± stdev against the fleet median and its outlier
 * band, a scatter of every repetition, and the numbers in a table; outliers are highlighted everywhere,
 * and a metric whose every value is 0 gets one line saying so instead of two empty charts. A report of
 * many metrics opens with a table of contents. The script highlights a host across all charts on hover
 * and, once it has checked that every chart is present, marks `<body data-charts-rendered="N">` and sets
 * `document.title` — the signal the headless-browser test reads.
 */
import type { MetricReport, RunReport } from '../../core/report/run-report.js';
import { hostColour } from './host-palette.js';
import { formatP, formatPercent, formatValue, summaryCells, warmupNote } from './numbers.js';
import { outlierSummary } from './outlier-summary.js';
import { allZero, barChart, escapeHtml, scatterChart, zeroChart } from './svg-charts.js';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/** From this many metrics on, the report opens with a table of contents. */
export const TOC_MIN_METRICS = 6;

/** The title the inline script sets once every chart is there. */
export const RENDERED_TITLE_SUFFIX = ' — charts ready';

const STYLE = `
:root { color-scheme: light; --fg: #1d2327; --muted: #5f6b73; --line: #d6dde1; --bad: #c0392b; --bg: #fff; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.muted { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.state-FINISHED { color: #1e7d32; font-weight: 600; }
.state-FAILED, .state-ABORTED, .state-STOP_FAILED { color: var(--bad); font-weight: 600; }
.outliers { border-left: 4px solid var(--bad); background: #fdf1ef; padding: 8px 12px; margin: 12px 0; }
.outliers.none { border-color: #1e7d32; background: #eff8f0; }
.outliers ul { margin: 4px 0 0; padding-left: 20px; }
.metric { border: 1px solid var(--line); border-radius: 6px; padding: 12px; margin: 12px 0; }
.metric.has-outlier { border-color: var(--bad); }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts svg { flex: 1 1 420px; max-width: 600px; height: auto; }
.chart .grid { stroke: #edf0f2; }
.chart .tick { font-size: 10px; fill: var(--muted); }
.chart .axis-label { font-size: 11px; fill: var(--muted); }
.chart .band { fill: #8a9ba8; opacity: 0.15; }
.chart .median { stroke: #333; stroke-dasharray: 5 4; stroke-width: 1.2; }
.chart .bar.outlier { stroke: var(--bad); stroke-width: 3; }
.chart .point.outlier { stroke: var(--bad); stroke-width: 2; }
.chart .errorbar line { stroke: #222; stroke-width: 1.4; }
.chart .median-label { font-size: 10px; fill: #333; }
.charts svg.wide { flex-basis: 100%; max-width: none; }
.charts svg.zero { flex-basis: 100%; max-width: 600px; }
.chart .zero-box { fill: #f4f6f7; stroke: var(--line); }
.chart .zero-text { font-size: 13px; fill: var(--muted); }
.outliers .notes { margin: 6px 0 0; color: var(--muted); }
nav.toc { border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; margin: 12px 0; columns: 2 260px; }
nav.toc h2 { column-span: all; margin: 4px 0 8px; border: 0; font-size: 15px; }
nav.toc ul { margin: 0; padding-left: 18px; }
nav.toc > ul > li { break-inside: avoid; margin-bottom: 6px; }
nav.toc a { color: inherit; }
nav.toc .flag { color: var(--bad); }
.dim { opacity: 0.15; }
table { border-collapse: collapse; margin-top: 8px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.fleet td { font-weight: 600; }
tr.outlier td { color: var(--bad); font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
`;

const SCRIPT = `
(() => {
  const expected = Number(document.body.dataset.expectedCharts);
  const charts = document.querySelectorAll('svg[data-metric]');
  const complete = [...charts].filter((svg) => svg.querySelector('[data-mark]')).length;
  document.body.dataset.chartsRendered = String(complete);
  if (complete !== expected) {
    console.error('fleetbench report: ' + complete + ' of ' + expected + ' charts have data');
    return;
  }
  document.title += ${JSON.stringify(RENDERED_TITLE_SUFFIX)};
  const marks = document.querySelectorAll('[data-host]');
  const focus = (host) => {
    for (const el of marks) el.classList.toggle('dim', host !== null && el.getAttribute('data-host') !== host);
  };
  document.addEventListener('mouseover', (event) => {
    const target = event.target instanceof Element ? event.target.closest('[data-host]') : null;
    focus(target ? target.getAttribute('data-host') : null);
  });
})();
`;

const DIRECTION = {
  higher: 'higher is better',
  lower: 'lower is better',
  unknown: 'direction unknown',
} as const;

function metricTable(m: MetricReport, hostOrder: readonly string[]): string {
  const cells = (values: readonly string[]) => values.map((v) => `<td>${escapeHtml(v)}</td>`).join('');
  const f = m.fleet;
  const fleet = `<tr class="fleet">${cells([
    'fleet',
    ...summaryCells(f, m.unit),
    `median ${formatValue(f.medianOfHostMeans, m.unit)}`,
    '',
  ])}</tr>`;
  const hosts = m.hosts.map(
    (h) =>
      `<tr data-host="${escapeHtml(h.host)}"${h.outlier ? ' class="outlier"' : ''}>` +
      `<td><span class="swatch" style="background:${hostColour(h.host, hostOrder)}"></span>${escapeHtml(h.host)}${h.outlier ? ' ⚠ outlier' : ''}</td>` +
      cells([...summaryCells(h, m.unit), formatPercent(h.deviationPercent), formatP(h.outlierP)]) +
      '</tr>',
  );
  return (
    '<table><thead><tr><th>host</th><th>n</th><th>mean</th><th>stdev</th><th>min</th><th>max</th><th>CV</th><th>vs median</th><th title="the outlier test: this host’s repetitions against the fleet median">p</th></tr></thead>' +
    `<tbody>${fleet}${hosts.join('')}</tbody></table>`
  );
}

/** The charts of a metric: a bar chart and a scatter, or the one line that says every value is 0. */
function chartsOf(m: MetricReport, report: RunReport): string[] {
  if (allZero(m)) return [zeroChart(m)];
  return [barChart(m, report.deviationPercent, report.run.hosts), scatterChart(m, report.run.hosts)];
}

function metricSection(m: MetricReport, index: number, report: RunReport): string {
  const hasOutlier = m.hosts.some((h) => h.outlier);
  return (
    `<section id="metric-${index}" class="metric${hasOutlier ? ' has-outlier' : ''}" data-workload="${escapeHtml(m.workload)}" data-metric-name="${escapeHtml(m.metric)}">` +
    `<h3>${escapeHtml(m.metric)} <span class="muted">${escapeHtml(m.unit || 'no unit')} · ${DIRECTION[m.direction]}</span></h3>` +
    `<div class="charts">${chartsOf(m, report).join('')}</div>` +
    metricTable(m, report.run.hosts) +
    '</section>'
  );
}

/** Links to every workload and metric, outliers and all-zero metrics marked; for reports of many metrics. */
function tableOfContents(report: RunReport, workloads: readonly string[]): string {
  if (report.metrics.length < TOC_MIN_METRICS) return '';
  const items = workloads.map((w, wi) => {
    const metrics = report.metrics
      .map((m, i) => ({ m, i }))
      .filter(({ m }) => m.workload === w)
      .map(({ m, i }) => {
        const outliers = m.hosts.filter((h) => h.outlier).length;
        const flag =
          outliers > 0
            ? ` <span class="flag">⚠ ${outliers} outlier${outliers === 1 ? '' : 's'}</span>`
            : allZero(m)
              ? ' <span class="muted">all 0</span>'
              : '';
        return `<li><a href="#metric-${i}">${escapeHtml(m.metric)}</a>${flag}</li>`;
      });
    return `<li><a href="#workload-${wi}">${escapeHtml(w)}</a><ul>${metrics.join('')}</ul></li>`;
  });
  return `<nav class="toc" aria-label="Contents"><h2>Contents: ${report.metrics.length} metrics</h2><ul>${items.join('')}</ul></nav>`;
}

function outlierBlock(report: RunReport): string {
  const summary = outlierSummary(report);
  const list =
    report.outliers.length === 0
      ? ''
      : `<ul>${report.outliers
          .map(
            (o) =>
              `<li data-host="${escapeHtml(o.host)}"><strong>${escapeHtml(o.host)}</strong> ${escapeHtml(o.workload)} / ${escapeHtml(o.metric)}: ` +
              `mean ${escapeHtml(formatValue(o.mean, o.unit))}, ${escapeHtml(formatPercent(o.deviationPercent))} from ${escapeHtml(formatValue(o.fleetMedian, o.unit))}, p ${escapeHtml(formatP(o.p))}</li>`,
          )
          .join('')}</ul>`;
  const notes =
    summary.notes.length === 0
      ? ''
      : `<ul class="notes">${summary.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`;
  const headline =
    report.outliers.length === 0
      ? escapeHtml(summary.headline)
      : `<strong>${escapeHtml(summary.headline)}</strong>`;
  return `<div class="outliers${report.outliers.length === 0 ? ' none' : ''}">${headline}${list}${notes}</div>`;
}

/**
 * @example
 * await writeFile('report.html', renderHtml(buildRunReport(input)));
 */
export function renderHtml(report: RunReport): string {
  const { run } = report;
  const c = run.counts;
  const title = `fleetbench report: ${run.name} (${run.runId})`;
  const workloads = [...new Set(report.metrics.map((m) => m.workload))];
  const sections = workloads.map(
    (w, wi) =>
      `<h2 id="workload-${wi}">${escapeHtml(w)}</h2>` +
      report.metrics.map((m, i) => (m.workload === w ? metricSection(m, i, report) : '')).join(''),
  );
  const expectedCharts = report.metrics.reduce((n, m) => n + (allZero(m) ? 1 : 2), 0);
  const rule = report.outlierRule;
  const facts: [string, string][] = [
    ['run', run.runId],
    ['state', run.state],
    [
      'tasks',
      `${c.completed} completed, ${c.failed} failed, ${c.cancelled} cancelled, ${c.skipped} skipped, ${c.pending} pending, ${c.running} running${warmupNote(run.warmupTasks)}`,
    ],
    ['hosts', run.hosts.join(', ')],
    ['created', run.createdAt],
    ['finished', run.finishedAt ?? '-'],
    ['metrics', `${report.metrics.length} (mean ± sample stdev over repetitions)`],
    [
      'outlier rule',
      `more than ${rule.deviationPercent}% from the median of the host means and significantly different from it ` +
        `(alpha ${rule.alpha}, at least ${rule.minRepetitions} repetitions and ${rule.minHosts} hosts)`,
    ],
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body data-expected-charts="${expectedCharts}" data-run-id="${escapeHtml(run.runId)}">
<h1>fleetbench report: ${escapeHtml(run.name)}</h1>
<dl class="facts">${facts
    .map(
      ([k, v]) =>
        `<dt>${escapeHtml(k)}</dt><dd${k === 'state' ? ` class="state-${escapeHtml(v)}"` : ''}>${escapeHtml(v)}</dd>`,
    )
    .join('')}</dl>
${outlierBlock(report)}
${tableOfContents(report, workloads)}
${report.metrics.length === 0 ? '<p>No metrics: no task of this run completed with metrics.</p>' : sections.join('\n')}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
