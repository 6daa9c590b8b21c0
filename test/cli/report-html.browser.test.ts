/**
 * The HTML report in a real browser, at 3 and at 24 hosts: Debian's Chromium, headless (test/support/chromium.ts).
 * Each fleet's run goes through the CLI, its report is laid out at 1280 px and measured (every chart drawn,
 * error bars above the floor, labels inside their chart, one colour per host), and a screenshot of the
 * whole report is kept for people to look at:
 *
 *   test-artifacts/reports/report-3-hosts.html, report-3-hosts.png
 *   test-artifacts/reports/report-24-hosts.html, report-24-hosts.png
 *
 * (test-artifacts/ is not versioned: a CI job keeps the directory as its artifacts to show them.)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDERED_TITLE_SUFFIX } from '../../lib/cli/report/html.js';
import type { RunReport } from '../../lib/core/report/run-report.js';
import {
  chromium,
  chromiumPath,
  consoleLines,
  overlaps,
  probeReport,
  REPORT_ARTIFACTS,
  type ReportProbe,
  screenshotReport,
} from '../support/chromium.js';
import { CliHarness } from '../support/cli.js';
import { runIdOf, syntheticPlan } from './synthetic-plan.js';

const ROOT = join(import.meta.dirname, '..', '..');

type Fleet = {
  readonly name: string;
  readonly hosts: number;
  /** The plan: a file of examples/, or a text. */
  readonly plan: { file: string } | { text: string };
};

const FLEETS: readonly Fleet[] = [
  { name: '3-hosts', hosts: 3, plan: { text: syntheticPlan({ slowHost: 'host-3', zeroMetric: true }) } },
  { name: '24-hosts', hosts: 24, plan: { file: join(ROOT, 'examples', 'fleet-24.yaml') } },
];

describe.each(FLEETS)('HTML report of $name in headless Chromium', (fleet) => {
  let browser: string;
  let cli: CliHarness;
  let reportPath: string;
  let report: RunReport;
  let probe: ReportProbe & { stderr: string; code: number };

  beforeAll(async () => {
    // Prepare: the fleet's run, its report as HTML and JSON, and the report as Chromium lays it out.
    browser = await chromiumPath();
    cli = await CliHarness.create();
    const plan = 'file' in fleet.plan ? fleet.plan.file : await cli.writePlan('plan.yaml', fleet.plan.text);
    const run = await cli.run('run', plan);
    expect(run.code, run.stderr).toBe(0);
    const runId = runIdOf(run.stdout);
    reportPath = join(cli.dir, `report-${fleet.name}.html`);
    expect((await cli.run('report', runId, '--format', 'html', '--output', reportPath)).code).toBe(0);
    report = JSON.parse((await cli.run('report', runId, '--format', 'json')).stdout) as RunReport;
    mkdirSync(REPORT_ARTIFACTS, { recursive: true });
    copyFileSync(reportPath, join(REPORT_ARTIFACTS, `report-${fleet.name}.html`));
    probe = await probeReport(browser, reportPath);
  }, 180_000);

  afterAll(async () => cli?.dispose());

  it('loads with no console message and no uncaught error, and its script confirms every chart', () => {
    expect(probe.error).toBeNull();
    expect(consoleLines(probe.stderr)).toEqual([]);
    expect(probe.title.endsWith(RENDERED_TITLE_SUFFIX)).toBe(true);
    expect(probe.renderedCharts).toBe(probe.expectedCharts);
    expect(probe.charts).toHaveLength(probe.expectedCharts);
  });

  it('draws two charts per metric, and for a metric whose every value is 0 one line that says so', () => {
    for (const m of report.metrics) {
      const kinds = probe.charts.filter((c) => c.metric === `${m.workload}/${m.metric}`).map((c) => c.kind);
      const zero = m.fleet.min === 0 && m.fleet.max === 0;
      expect(kinds, `${m.workload}/${m.metric}`).toEqual(zero ? ['zero'] : ['bars', 'scatter']);
    }
    const zeros = probe.charts.filter((c) => c.kind === 'zero');
    expect(zeros.length).toBeGreaterThan(0);
    for (const z of zeros)
      expect(z.zeroText).toMatch(/^Every value is 0 \(count\): \d+ repetitions on \d+ hosts\.$/);
  });

  it('stops every error bar at the x axis: no metric here has a value below 0', () => {
    expect(report.metrics.every((m) => m.fleet.min >= 0)).toBe(true);
    const bars = probe.charts.filter((c) => c.kind === 'bars');
    for (const chart of bars) {
      for (const e of chart.errorbars) {
        expect(e.bottom, `${chart.metric} ${e.host}`).toBeLessThanOrEqual((chart.axisY ?? 0) + 0.5);
      }
    }
    expect(bars.flatMap((c) => c.errorbars).length).toBeGreaterThan(0);
  });

  it('keeps every host label inside its chart, and level labels apart', () => {
    for (const chart of probe.charts) {
      for (const label of chart.labels) {
        expect(label.bottom, `${chart.metric} ${chart.kind} ${label.text}`).toBeLessThanOrEqual(
          chart.box.bottom,
        );
        expect(label.left).toBeGreaterThanOrEqual(chart.box.left);
      }
      const level = chart.labels.filter((l) => l.bottom - l.top < 20);
      level.slice(1).forEach((label, i) => {
        const before = level[i];
        if (before) expect(overlaps(before, label), `${chart.metric} ${label.text}`).toBe(false);
      });
    }
  });

  it(`gives each of the ${fleet.hosts} hosts its own colour in every bar chart`, () => {
    for (const chart of probe.charts.filter((c) => c.kind === 'bars')) {
      expect(chart.fills, chart.metric).toHaveLength(
        report.metrics.find((m) => chart.metric === `${m.workload}/${m.metric}`)?.hosts.length ?? -1,
      );
    }
  });

  it('outlines exactly the outliers the report flags (host-3 in both metrics of the 3-host run)', () => {
    const html = readFileSync(reportPath, 'utf8');

    expect((html.match(/class="bar outlier"/g) ?? []).length).toBe(report.outliers.length);
    if (fleet.hosts === 3) expect(report.outliers.map((o) => o.host)).toEqual(['host-3', 'host-3']);
  });

  it('lays the scatter out by repetition up to 8 hosts, and past 8 by host, one column each', () => {
    const byHost = fleet.hosts > 8;
    for (const chart of probe.charts.filter((c) => c.kind === 'scatter')) {
      const metric = report.metrics.find((m) => chart.metric === `${m.workload}/${m.metric}`);
      const reps = [...new Set(metric?.hosts.flatMap((h) => h.values.map((v) => `rep ${v.rep}`)))];
      expect(chart.labels.map((l) => l.text)).toEqual(byHost ? metric?.hosts.map((h) => h.host) : reps);
    }
  });

  it('saves a screenshot of the whole report', async () => {
    // Act
    const png = join(REPORT_ARTIFACTS, `report-${fleet.name}.png`);
    rmSync(png, { force: true });
    const shot = await screenshotReport(browser, reportPath, png, probe.height);

    // Assess: a PNG of the report's size, not a blank page.
    expect(shot.code).toBe(0);
    expect(existsSync(png)).toBe(true);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.readUInt32BE(20)).toBe(Math.min(Math.max(probe.height, 600), 30_000));
    expect(statSync(png).size).toBeGreaterThan(40_000);
  });
});

describe('The browser check', () => {
  it('would notice a page that throws (the console check is not blind)', async () => {
    // Prepare
    const browser = await chromiumPath();
    const cli = await CliHarness.create();
    const broken = join(cli.dir, 'broken.html');
    writeFileSync(broken, '<!doctype html><title>x</title><script>notAFunction();</script>');

    // Act
    const result = await chromium(browser, broken, ['--dump-dom']);
    await cli.dispose();

    // Assess
    expect(consoleLines(result.stderr).join('\n')).toContain(
      'Uncaught ReferenceError: notAFunction is not defined',
    );
  });
});
