/**
 * Debian's Chromium, headless, driven directly (no browser automation package), for the tests that check
 * an HTML report as a person sees it. `--dump-dom` gives the DOM after the page's scripts ran,
 * `--enable-logging=stderr` its console (Chromium logs it as `…:CONSOLE…`), `--screenshot` what is on
 * screen. `probeReport` measures the laid-out report: it opens the report in a frame of a small probe page
 * (same origin with `--allow-file-access-from-files`), whose script reads every chart's boxes, error bars,
 * labels and colours as Chromium drew them and writes them into its own DOM, which `--dump-dom` prints.
 * A missing Chromium fails the test with the install command: .ci/run installs it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_PATH, findOnPath } from '../../lib/cli/doctor-checks.js';

const BROWSER_TIMEOUT_MS = 90_000;
/**
 * Where the browser tests keep the reports they check and their screenshots, for people to look at
 * (test-artifacts/ is not versioned: a CI job keeps the directory as its artifacts to show them).
 */
export const REPORT_ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'reports');
/** The width the report is laid out at, a laptop's browser window. */
export const REPORT_WIDTH = 1280;

export type BrowserResult = { code: number; stdout: string; stderr: string };

/** The Chromium binary on the PATH, or an error that says how to install it. */
export async function chromiumPath(): Promise<string> {
  const path = process.env.PATH ?? DEFAULT_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = await findOnPath(name, path);
    if (found) return found;
  }
  throw new Error(
    'the HTML report tests need Chromium: sudo apt-get install -y chromium (CI: .ci/run installs it)',
  );
}

/** Runs headless Chromium on a local file with the flags that keep it offline and stateless. */
export function chromium(binary: string, file: string, mode: readonly string[]): Promise<BrowserResult> {
  const profile = mkdtempSync(join(tmpdir(), 'fleetbench-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
    ...mode,
    `file://${file}`,
  ];
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: BROWSER_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        rmSync(profile, { recursive: true, force: true });
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** What the page said on its console, and any uncaught error (Chromium logs both as CONSOLE lines). */
export function consoleLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /:CONSOLE[:(]|Uncaught/.test(line));
}

type Box = { left: number; right: number; top: number; bottom: number };

/** One chart as Chromium laid it out, in CSS pixels of the page. */
export type ChartProbe = {
  metric: string;
  kind: string;
  box: Box;
  /** Where the x axis (the natural floor's line) is drawn; null for the all-zero notice. */
  axisY: number | null;
  errorbars: { host: string; bottom: number; clipped: boolean }[];
  labels: (Box & { text: string })[];
  /** The distinct fill colours of its bars or points, as computed. */
  fills: string[];
  zeroText: string | null;
};

export type ReportProbe = {
  error: string | null;
  title: string;
  expectedCharts: number;
  renderedCharts: number;
  /** The report's height at REPORT_WIDTH: how tall a screenshot of all of it is. */
  height: number;
  charts: ChartProbe[];
  toc: { href: string; found: boolean }[];
};

const PROBE_SCRIPT = `
const frame = document.getElementById('report');
frame.addEventListener('load', () => {
  const out = { error: null };
  try {
    const doc = frame.contentDocument;
    const box = (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
    out.title = doc.title;
    out.expectedCharts = Number(doc.body.dataset.expectedCharts);
    out.renderedCharts = Number(doc.body.dataset.chartsRendered);
    out.height = Math.ceil(doc.body.getBoundingClientRect().bottom + 24);
    out.charts = [...doc.querySelectorAll('svg[data-metric]')].map((svg) => {
      const axis = svg.querySelector('line[data-axis="x"]');
      return {
        metric: svg.dataset.metric,
        kind: svg.dataset.chart,
        box: box(svg),
        axisY: axis ? axis.getBoundingClientRect().top : null,
        errorbars: [...svg.querySelectorAll('g.errorbar')].map((g) => ({
          host: g.dataset.host,
          bottom: Math.max(...[...g.querySelectorAll('line')].map((l) => l.getBoundingClientRect().bottom)),
          clipped: g.classList.contains('clipped'),
        })),
        labels: [...svg.querySelectorAll('text.x-label')].map((t) => ({ text: t.lastChild.textContent, ...box(t) })),
        fills: [...new Set([...svg.querySelectorAll('[data-mark="bar"], [data-mark="point"]')].map((e) => getComputedStyle(e).fill))],
        zeroText: svg.querySelector('[data-mark="zero"]')?.textContent ?? null,
      };
    });
    out.toc = [...doc.querySelectorAll('nav.toc a')].map((a) => ({ href: a.getAttribute('href'), found: doc.querySelector(a.getAttribute('href')) !== null }));
  } catch (error) {
    out.error = String(error);
  }
  document.getElementById('probe').textContent = JSON.stringify(out);
});
`;

/**
 * Lays the report out in Chromium at REPORT_WIDTH and measures it.
 * @example
 * const probe = await probeReport(browser, '/tmp/x/report.html');
 * probe.charts.every((c) => c.labels.every((l) => l.bottom <= c.box.bottom)); // no label cut off
 */
export async function probeReport(binary: string, reportPath: string): Promise<ReportProbe & BrowserResult> {
  const page = join(dirname(reportPath), `probe-${basename(reportPath)}`);
  writeFileSync(
    page,
    `<!doctype html><html><body style="margin:0"><pre id="probe">pending</pre>` +
      `<iframe id="report" src="${encodeURI(basename(reportPath))}" style="width:${REPORT_WIDTH}px;height:40000px;border:0"></iframe>` +
      `<script>${PROBE_SCRIPT}</script></body></html>`,
  );
  try {
    const result = await chromium(binary, page, [
      '--allow-file-access-from-files',
      '--virtual-time-budget=20000',
      `--window-size=${REPORT_WIDTH + 20},1000`,
      '--dump-dom',
    ]);
    const json = /<pre id="probe">([^<]*)<\/pre>/.exec(result.stdout)?.[1];
    if (json === undefined || json === 'pending') {
      throw new Error(`the probe page did not report (exit ${result.code}): ${result.stderr.slice(-2000)}`);
    }
    const text = json
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    return { ...result, ...(JSON.parse(text) as ReportProbe) };
  } finally {
    rmSync(page, { force: true });
  }
}

/**
 * A screenshot of the whole report at REPORT_WIDTH, `height` pixels tall (probeReport measures it).
 * @example
 * await screenshotReport(browser, reportPath, 'test-artifacts/report.png', probe.height);
 */
export function screenshotReport(
  binary: string,
  reportPath: string,
  pngPath: string,
  height: number,
): Promise<BrowserResult> {
  return chromium(binary, reportPath, [
    '--hide-scrollbars',
    `--screenshot=${pngPath}`,
    `--window-size=${REPORT_WIDTH},${Math.min(Math.max(height, 600), 30_000)}`,
  ]);
}

/** Whether two boxes overlap by more than a pixel each way (neighbouring labels may touch). */
export function overlaps(a: Box, b: Box): boolean {
  return a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
}
