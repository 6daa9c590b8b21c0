import { describe, expect, it } from 'vitest';
import { renderHtml, TOC_MIN_METRICS } from '../../lib/cli/report/html.js';
import { barChart, escapeHtml, niceScale, scatterChart } from '../../lib/cli/report/svg-charts.js';
import { buildRunReport, type MetricReport, type RunReport } from '../../lib/core/report/run-report.js';
import { input, tasksOf } from '../core/report/fixtures.js';

function firstMetric(r: RunReport): MetricReport {
  const metric = r.metrics[0];
  if (!metric) throw new Error('the report has no metric');
  return metric;
}

const hostNames = (count: number) => Array.from({ length: count }, (_, i) => `host-${i + 1}`);

const report = buildRunReport(
  input([
    ...tasksOf('cpu', 'bogo_ops', 'ops', {
      'host-1': [100, 110, 105],
      'host-2': [104, 106, 105],
      'host-3': [70, 74, 72],
    }),
    ...tasksOf('disk', 'read_clat_p99_us', '<b>us</b>', { 'host-1': [50], 'host-2': [52], 'host-3': [51] }),
  ]),
);

describe('HTML report (no browser)', () => {
  const html = renderHtml(report);

  it('draws a bar chart and a repetition scatter for every metric', () => {
    for (const m of ['cpu/bogo_ops', 'disk/read_clat_p99_us']) {
      expect(html).toContain(`data-metric="${m}" data-chart="bars"`);
      expect(html).toContain(`data-metric="${m}" data-chart="scatter"`);
    }
    expect(html).toContain('data-expected-charts="4"');
    expect(html.match(/<rect data-mark="bar"/g)).toHaveLength(6);
    expect(html.match(/<circle data-mark="point"/g)).toHaveLength(12);
  });

  it('draws error bars only where there is a standard deviation', () => {
    expect(html.match(/<g class="errorbar"/g)).toHaveLength(3);
  });

  it('highlights the outlier host in the summary, the charts and the table', () => {
    expect(html).toContain('<strong>1 outlier: a host mean more than 10% from the fleet median');
    expect(html).toMatch(
      /<li data-host="host-3"><strong>host-3<\/strong> cpu \/ bogo_ops: mean 72 ops, -31.4% from 105 ops, p 0\.00\d\d<\/li>/,
    );
    expect(html).toMatch(/<rect data-mark="bar" data-host="host-3" class="bar outlier"/);
    expect(html).toMatch(/<tr data-host="host-3" class="outlier">/);
    expect(html).toContain('class="metric has-outlier"');
  });

  it('is self-contained: no external resource and a policy that forbids loading any', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link|<img|@import|url\(|\ssrc=/i);
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`,
    );
  });

  it('escapes text that comes from the run (a shell script’s unit)', () => {
    expect(html).not.toContain('<b>us</b>');
    expect(html).toContain('&lt;b&gt;us&lt;/b&gt;');
  });

  it('says so when the run has no metrics', () => {
    const empty = renderHtml(buildRunReport(input([])));

    expect(empty).toContain('No metrics: no task of this run completed with metrics.');
    expect(empty).toContain('data-expected-charts="0"');
  });
});

describe('HTML report: honest charts', () => {
  it('stops an error bar at 0 for a metric that is never negative, without a cap at the cut end', () => {
    // Prepare: host-2's spread (stdev 5.3) is larger than its mean (3.3).
    const spread = buildRunReport(
      input(
        tasksOf('net', 'retransmits', 'count', {
          'host-1': [10, 11, 12],
          'host-2': [0, 0, 10],
          'host-3': [9, 10, 11],
        }),
      ),
    );

    // Act
    const svg = barChart(firstMetric(spread), 10, spread.run.hosts);

    // Assess: the axis starts at 0, the cut bar ends on the x axis and has one cap (at its top) only.
    const base = /<line class="axis" data-axis="x" x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"/.exec(svg)?.[1];
    expect(svg).toContain('>0</text>');
    expect(svg).not.toMatch(/>-\d/);
    const clipped = /<g class="errorbar clipped" data-host="host-2">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect(clipped.match(/<line/g)).toHaveLength(2);
    expect(clipped).toContain(`y2="${base}"`);
    expect(svg.match(/<g class="errorbar"/g)).toHaveLength(2);
  });

  it('lets error bars go below 0 for a metric that has negative values', () => {
    const signed = buildRunReport(
      input(
        tasksOf('clock', 'offset_ms', 'ms', {
          'host-1': [-5, 1, 4],
          'host-2': [-1, 0, 1],
          'host-3': [1, 2, 3],
        }),
      ),
    );

    const svg = barChart(firstMetric(signed), 10, signed.run.hosts);

    expect(svg).not.toContain('clipped');
    expect(svg).toMatch(/>-\d+<\/text>/);
  });

  it('says "every value is 0" in place of two empty charts', () => {
    // Prepare
    const zeros = buildRunReport(
      input([
        ...tasksOf('net', 'retransmits', 'count', {
          'host-1': [0, 0, 0],
          'host-2': [0, 0, 0],
          'host-3': [0, 0, 0],
        }),
        ...tasksOf('net', 'bandwidth', 'Mbit/s', {
          'host-1': [900, 910, 905],
          'host-2': [890, 900, 895],
          'host-3': [905, 900, 910],
        }),
      ]),
    );

    // Act
    const html = renderHtml(zeros);

    // Assess: one notice for retransmits, two charts for bandwidth, and the script expects three.
    expect(html).toContain('data-metric="net/retransmits" data-chart="zero"');
    expect(html).toContain('Every value is 0 (count): 9 repetitions on 3 hosts.');
    expect(html).not.toContain('data-metric="net/retransmits" data-chart="bars"');
    expect(html).toContain('data-metric="net/bandwidth" data-chart="bars"');
    expect(html).toContain('data-expected-charts="3"');
  });

  it('writes values with SI prefixes: ticks, tooltips and tables', () => {
    const big = buildRunReport(
      input(
        tasksOf('mem', 'copied', 'B', {
          'host-1': [16_700_000, 16_800_000, 16_900_000],
          'host-2': [16_750_000, 16_800_000, 16_850_000],
          'host-3': [16_600_000, 16_800_000, 17_000_000],
        }),
      ),
    );

    const html = renderHtml(big);

    expect(html).toContain('>15 M</text>');
    expect(html).toContain('<td>16.8 MB</td>');
    expect(html).toContain('host-1: mean 16.8 MB ± 100 kB (n=3)');
    expect(html).toContain('>median 16.8 MB, ± 10% shaded</text>');
  });

  it('opens with a table of contents once there are many metrics, outliers marked', () => {
    // Prepare: the cpu metric (with its outlier) and enough disk metrics to reach the threshold.
    const many = buildRunReport(
      input([
        ...tasksOf('cpu', 'bogo_ops', 'ops', {
          'host-1': [100, 110, 105],
          'host-2': [104, 106, 105],
          'host-3': [70, 74, 72],
        }),
        ...Array.from({ length: TOC_MIN_METRICS - 1 }, (_, i) =>
          tasksOf('disk', `lat_${i}_us`, 'us', {
            'host-1': [50, 51, 52],
            'host-2': [51, 52, 53],
            'host-3': [50, 52, 51],
          }),
        ).flat(),
      ]),
    );

    // Act
    const html = renderHtml(many);
    const few = renderHtml(report);

    // Assess
    expect(html).toContain(
      `<nav class="toc" aria-label="Contents"><h2>Contents: ${TOC_MIN_METRICS} metrics</h2>`,
    );
    expect(html).toContain('<li><a href="#metric-0">bogo_ops</a> <span class="flag">⚠ 1 outlier</span></li>');
    expect(html).toContain('<a href="#workload-1">disk</a>');
    for (let i = 0; i < TOC_MIN_METRICS; i++) expect(html).toContain(`<section id="metric-${i}"`);
    expect(few).not.toContain('<nav class="toc"');
  });

  it('gives each of 24 hosts its own colour and, past 8 hosts, its own scatter column', () => {
    // Prepare
    const hosts = hostNames(24);
    const wide = buildRunReport(
      input(
        tasksOf(
          'cpu',
          'bogo_ops',
          'ops',
          Object.fromEntries(hosts.map((h, i) => [h, [100 + i, 101 + i, 102 + i]])),
        ),
        {
          hosts,
        },
      ),
    );

    // Act
    const bars = barChart(firstMetric(wide), 10, hosts);
    const scatter = scatterChart(firstMetric(wide), hosts);

    // Assess: 24 bar colours, all different; the charts grow; each host's points share one column.
    const fills = [
      ...bars.matchAll(/data-mark="bar" data-host="[^"]+" class="[^"]+" [^>]*fill="(#[0-9a-f]{6})"/gi),
    ].map((m) => m[1]);
    expect(fills).toHaveLength(24);
    expect(new Set(fills).size).toBe(24);
    expect(bars).toMatch(/^<svg class="chart wide"[^>]* viewBox="0 0 (\d+) \d+"/);
    expect(Number(/viewBox="0 0 (\d+)/.exec(bars)?.[1])).toBeGreaterThan(480);
    expect(scatter).toContain('Every repetition, one column per host');
    const columnOf = (host: string) =>
      [...scatter.matchAll(new RegExp(`data-host="${host}" class="point" cx="([\\d.]+)"`, 'g'))].map((m) =>
        Number(m[1]),
      );
    const first = columnOf('host-1');
    const last = columnOf('host-24');
    expect(first).toHaveLength(3);
    expect(Math.max(...first)).toBeLessThan(Math.min(...last));
  });
});

describe('Function: niceScale', () => {
  it.each([
    [0, 93, { min: 0, max: 100, ticks: [0, 20, 40, 60, 80, 100] }],
    [0.31, 0.93, { min: 0.2, max: 1, ticks: [0.2, 0.4, 0.6, 0.8, 1] }],
    [-12, 30, { min: -20, max: 30, ticks: [-20, -10, 0, 10, 20, 30] }],
    [5, 5, { min: 4.4, max: 5.6, ticks: [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6] }],
    [0, 0, { min: -1, max: 1, ticks: [-1, -0.5, 0, 0.5, 1] }],
  ])('widens %s..%s to round ticks', (lo, hi, expected) => {
    expect(niceScale(lo, hi)).toEqual(expected);
  });
});

describe('Function: escapeHtml', () => {
  it('escapes the five characters that matter in content and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
