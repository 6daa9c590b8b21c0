import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../lib/cli/report/html.js';
import { escapeHtml, niceScale } from '../../lib/cli/report/svg-charts.js';
import { buildRunReport } from '../../lib/core/report/run-report.js';
import { input, tasksOf } from '../core/report/fixtures.js';

const report = buildRunReport(
  input([
    ...tasksOf('cpu', 'bogo_ops', 'ops', { 'host-1': [100, 110], 'host-2': [104, 106], 'host-3': [70, 74] }),
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
    expect(html.match(/<circle data-mark="point"/g)).toHaveLength(9);
  });

  it('draws error bars only where there is a standard deviation', () => {
    expect(html.match(/<g class="errorbar"/g)).toHaveLength(3);
  });

  it('highlights the outlier host in the summary, the charts and the table', () => {
    expect(html).toContain('<strong>1 outlier(s)</strong>');
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
