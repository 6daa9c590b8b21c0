/**
 * The HTML report in a real browser: Debian's Chromium, headless, driven directly (no browser
 * automation package). `--dump-dom` gives the DOM after the inline script ran, `--enable-logging=stderr`
 * gives the page's console (Chromium logs it as `…:CONSOLE…`), `--screenshot` saves what a person
 * would see to test-artifacts/report.png. A missing Chromium fails the test with the install command:
 * .ci/run installs it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PATH, findOnPath } from '../../lib/cli/doctor-checks.js';
import { RENDERED_TITLE_SUFFIX } from '../../lib/cli/report/html.js';
import { CliHarness } from '../support/cli.js';
import { runIdOf, syntheticPlan } from './synthetic-plan.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const BROWSER_TIMEOUT_MS = 60_000;

async function chromiumPath(): Promise<string> {
  const path = process.env.PATH ?? DEFAULT_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = await findOnPath(name, path);
    if (found) return found;
  }
  throw new Error(
    'the HTML report test needs Chromium: sudo apt-get install -y chromium (CI: .ci/run installs it)',
  );
}

type BrowserResult = { code: number; stdout: string; stderr: string };

/** Runs headless Chromium on a local file with the flags that keep it offline and stateless. */
function chromium(binary: string, file: string, mode: string[]): Promise<BrowserResult> {
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
function consoleLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /:CONSOLE[:(]|Uncaught/.test(line));
}

describe('HTML report in headless Chromium', () => {
  let browser: string;
  let cli: CliHarness;
  let reportPath: string;
  let dom: BrowserResult;

  beforeAll(async () => {
    browser = await chromiumPath();
    cli = await CliHarness.create();
    const run = await cli.run('run', await cli.writePlan('plan.yaml', syntheticPlan({ slowHost: 'host-3' })));
    expect(run.code).toBe(0);
    reportPath = join(cli.dir, 'report.html');
    const report = await cli.run('report', runIdOf(run.stdout), '--format', 'html', '--output', reportPath);
    expect(report.code).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'report.html'), readFileSync(reportPath));
    dom = await chromium(browser, reportPath, ['--dump-dom']);
  }, 120_000);

  afterAll(async () => cli?.dispose());

  it('loads with no console message and no uncaught error', () => {
    expect(dom.code).toBe(0);
    expect(consoleLines(dom.stderr)).toEqual([]);
  });

  it('runs the inline script, which confirms every chart is there', () => {
    expect(dom.stdout).toMatch(
      new RegExp(`<title>fleetbench report: synthetic \\(synthetic-[^)]+\\)${RENDERED_TITLE_SUFFIX}</title>`),
    );
    expect(dom.stdout).toContain('data-charts-rendered="4"');
  });

  it('draws a bar chart and a scatter for every metric, with the outlier host marked', () => {
    const charts = [...dom.stdout.matchAll(/<svg [^>]*data-metric="([^"]+)" data-chart="([a-z]+)"/g)].map(
      (m) => `${m[1]}:${m[2]}`,
    );

    expect(charts.sort()).toEqual([
      'api/latency_ms:bars',
      'api/latency_ms:scatter',
      'api/requests_per_s:bars',
      'api/requests_per_s:scatter',
    ]);
    expect(dom.stdout.match(/data-host="host-3" class="bar outlier"/g)).toHaveLength(2);
  });

  it('saves a screenshot of the report as a test artifact', async () => {
    const png = join(ARTIFACTS, 'report.png');
    rmSync(png, { force: true });

    const shot = await chromium(browser, reportPath, [
      '--hide-scrollbars',
      `--screenshot=${png}`,
      '--window-size=1280,2000',
    ]);

    expect(shot.code).toBe(0);
    expect(existsSync(png)).toBe(true);
    expect(readFileSync(png).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(statSync(png).size).toBeGreaterThan(20_000);
  });

  it('would notice a page that throws (the console check is not blind)', async () => {
    const broken = join(cli.dir, 'broken.html');
    writeFileSync(broken, '<!doctype html><title>x</title><script>notAFunction();</script>');

    const result = await chromium(browser, broken, ['--dump-dom']);

    expect(consoleLines(result.stderr).join('\n')).toContain(
      'Uncaught ReferenceError: notAFunction is not defined',
    );
  });
});
