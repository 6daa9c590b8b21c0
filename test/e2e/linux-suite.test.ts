/**
 * examples/linux-suite.yaml through the real CLI, the real engine and the real tools (stress-ng, fio,
 * sysbench, iperf3) on 3 local hosts × 2 repetitions: every metric docs/workloads.md documents must be
 * there, in its documented unit, positive (or ≥ 0 where the docs say it may be 0), for every host and
 * repetition — for iperf3, per role. Nothing is skipped: a missing tool fails the suite with the
 * command that installs it (.ci/run installs them). Its HTML report is checked in headless Chromium and kept,
 * with a screenshot, as test-artifacts/reports/linux-suite.html and linux-suite.png.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PATH, findOnPath, toolRequirements } from '../../lib/cli/doctor-checks.js';
import type { RunView, TaskView } from '../../lib/cli/run-view.js';
import { plugins } from '../../lib/core/plugins/index.js';
import type { RunReport } from '../../lib/core/report/run-report.js';
import {
  chromiumPath,
  consoleLines,
  probeReport,
  REPORT_ARTIFACTS,
  screenshotReport,
} from '../support/chromium.js';
import { CliHarness } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PLAN = join(ROOT, 'examples', 'linux-suite.yaml');
const HOSTS = ['host-1', 'host-2', 'host-3'];
const REPS = [1, 2];

/** `positive`: > 0. `zeroOk`: ≥ 0, for what the docs say may be 0 (sysbench rounds latencies to 0.01 ms; retransmits). */
type Expected = Record<string, { unit: string; value: 'positive' | 'zeroOk' }>;
const positive = (unit: string) => ({ unit, value: 'positive' as const });
const zeroOk = (unit: string) => ({ unit, value: 'zeroOk' as const });

const SYSBENCH_LATENCIES: Expected = {
  latency_avg_ms: zeroOk('ms'),
  latency_p95_ms: zeroOk('ms'),
  latency_max_ms: zeroOk('ms'),
};

/** docs/workloads.md, per workload of the plan (and per iperf3 role). */
const DOCUMENTED: Record<string, (host: string) => Expected> = {
  'stress-cpu': () => ({
    bogo_ops: positive('ops'),
    bogo_ops_per_s_real: positive('ops/s'),
    bogo_ops_per_s_cpu: positive('ops/s'),
  }),
  'fio-randread': () => ({
    read_iops: positive('ops/s'),
    read_bw_mib_s: positive('MiB/s'),
    read_clat_p50_us: positive('us'),
    read_clat_p99_us: positive('us'),
  }),
  'sysbench-cpu': () => ({ events_per_s: positive('events/s'), ...SYSBENCH_LATENCIES }),
  'sysbench-memory': () => ({
    memory_throughput_mib_s: positive('MiB/s'),
    memory_ops_per_s: positive('ops/s'),
    ...SYSBENCH_LATENCIES,
  }),
  iperf3: (host) =>
    host === 'host-1'
      ? { throughput_received_mbps: positive('Mbit/s'), clients_served: positive('count') }
      : {
          throughput_sent_mbps: positive('Mbit/s'),
          throughput_received_mbps: positive('Mbit/s'),
          retransmits: zeroOk('count'),
        },
};

/** Fails with the install command when a tool the suite needs is missing. */
async function assertToolsInstalled(): Promise<void> {
  const needed = toolRequirements(
    ['stress-ng', 'fio', 'sysbench', 'iperf3'].flatMap((name) => plugins.get(name) ?? []),
  );
  const missing = [];
  for (const tool of needed) {
    if (!(await findOnPath(tool.binary, process.env.PATH ?? DEFAULT_PATH))) missing.push(tool);
  }
  if (missing.length > 0) {
    const names = missing.map((t) => t.debian).join(' ');
    throw new Error(
      `the linux-suite e2e test runs the real tools and ${missing.map((t) => t.binary).join(', ')} ` +
        `${missing.length === 1 ? 'is' : 'are'} not installed: sudo apt-get install -y ${names} (CI: .ci/run installs them)`,
    );
  }
}

describe('examples/linux-suite.yaml, end to end with the real tools', () => {
  let cli: CliHarness;
  let result: Awaited<ReturnType<CliHarness['run']>>;
  let view: RunView;
  let seconds: number;

  beforeAll(async () => {
    await assertToolsInstalled();
    cli = await CliHarness.create();
    const started = performance.now();
    result = await cli.run('run', PLAN);
    seconds = (performance.now() - started) / 1000;
    const runId = /Started run (\S+)/.exec(result.stdout)?.[1] ?? '';
    view = await cli.runJson<RunView>('show', runId);
    console.info(`linux-suite: ${view.tasks.length} tasks in ${seconds.toFixed(1)} s`);
  }, 120_000);

  afterAll(async () => cli?.dispose());

  it('finishes every task of every workload, host and repetition', () => {
    expect(result.stderr).not.toContain('error:');
    expect(result.code).toBe(0);
    expect(view.state).toBe('FINISHED');
    expect(view.tasks).toHaveLength(Object.keys(DOCUMENTED).length * HOSTS.length * REPS.length);
    const failed = view.tasks.filter((t) => t.status !== 'COMPLETED');
    expect(failed.map((t) => `${t.key}: ${t.status} ${t.error ?? ''}`)).toEqual([]);
  });

  it('stays well under a minute of wall time', () => {
    expect(seconds).toBeLessThan(90);
  });

  describe.each(Object.keys(DOCUMENTED))('workload %s', (workload) => {
    it.each(
      HOSTS.flatMap((host) => REPS.map((rep) => [host, rep] as const)),
    )('reports every documented metric in its unit on %s rep %i', (host, rep) => {
      const task = view.tasks.find(
        (t) => t.workload === workload && t.host === host && t.rep === rep,
      ) as TaskView;
      const expected = DOCUMENTED[workload]?.(host) ?? {};

      expect(task?.status).toBe('COMPLETED');
      expect(Object.keys(task.metrics).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, { unit, value }] of Object.entries(expected)) {
        const metric = task.metrics[name];
        expect({ name, unit: metric?.unit }).toEqual({ name, unit });
        if (value === 'positive') expect(metric?.value, name).toBeGreaterThan(0);
        else expect(metric?.value, name).toBeGreaterThanOrEqual(0);
      }
    });
  });

  it('serves both iperf3 clients in every repetition', () => {
    const servers = view.tasks.filter((t) => t.workload === 'iperf3' && t.host === 'host-1');

    expect(servers.map((t) => t.metrics.clients_served?.value)).toEqual([2, 2]);
  });

  it('reports every metric with a fleet row, and writes the HTML report as a test artifact', async () => {
    const json = await cli.run('report', view.runId, '--format', 'json');
    const report = JSON.parse(json.stdout) as RunReport;
    const html = await cli.run('report', view.runId, '--format', 'html');
    mkdirSync(REPORT_ARTIFACTS, { recursive: true });
    writeFileSync(join(REPORT_ARTIFACTS, 'linux-suite.html'), html.stdout);

    const expectedSeries = Object.entries(DOCUMENTED).flatMap(([workload, of]) =>
      [...new Set(HOSTS.flatMap((h) => Object.keys(of(h))))].map((metric) => `${workload}/${metric}`),
    );
    expect(report.metrics.map((m) => `${m.workload}/${m.metric}`).sort()).toEqual(expectedSeries.sort());
    for (const m of report.metrics) {
      const reporting = HOSTS.filter((h) => m.metric in (DOCUMENTED[m.workload]?.(h) ?? {}));
      expect(
        m.hosts.map((h) => h.host),
        `${m.workload}/${m.metric}`,
      ).toEqual(reporting);
      expect(m.fleet.n).toBe(reporting.length * REPS.length);
    }
    // Two charts a metric, one for a metric whose every value is 0 (retransmits, often).
    const zero = report.metrics.filter((m) => m.fleet.min === 0 && m.fleet.max === 0).length;
    expect((html.stdout.match(/<svg [^>]*data-metric=/g) ?? []).length).toBe(
      report.metrics.length * 2 - zero,
    );
    // Two repetitions cannot tell a host's difference from its noise: the report says so, it flags nobody.
    expect(report.outliers).toEqual([]);
    expect(report.metrics.every((m) => m.outlierSkip !== null)).toBe(true);
    expect(html.stdout).toContain('not checked: no host has 3 repetitions (at most 2)');
  });

  it('has a report that Chromium draws whole: every chart, the table of contents, error bars above 0', async () => {
    // Prepare
    const browser = await chromiumPath();
    const reportPath = join(cli.dir, 'linux-suite.html');
    const r = await cli.run('report', view.runId, '--format', 'html', '--output', reportPath);
    expect(r.code).toBe(0);

    // Act
    const probe = await probeReport(browser, reportPath);
    const png = join(REPORT_ARTIFACTS, 'linux-suite.png');
    const shot = await screenshotReport(browser, reportPath, png, probe.height);

    // Assess
    expect(probe.error).toBeNull();
    expect(consoleLines(probe.stderr)).toEqual([]);
    expect(probe.renderedCharts).toBe(probe.expectedCharts);
    expect(probe.toc.length).toBeGreaterThan(Object.keys(DOCUMENTED).length);
    expect(probe.toc.filter((link) => !link.found)).toEqual([]);
    for (const chart of probe.charts.filter((c) => c.kind === 'bars')) {
      for (const e of chart.errorbars)
        expect(e.bottom, chart.metric).toBeLessThanOrEqual((chart.axisY ?? 0) + 0.5);
      for (const label of chart.labels)
        expect(label.bottom, chart.metric).toBeLessThanOrEqual(chart.box.bottom);
    }
    expect(shot.code).toBe(0);
  }, 120_000);
});
