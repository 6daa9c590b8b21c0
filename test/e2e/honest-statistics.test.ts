/**
 * Statistics that do not mislead, and the libraries behind them, through the compiled CLI as a user runs it
 * (`node bin/fleetbench.js`, a process per command, its exit code and its output): outliers flagged only when
 * the run can tell, a CI gate that fails when it had nothing to compare, the Markdown summary for a pull
 * request, honest charts, and CSV, tables and CloudEvents made by their libraries.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudEvent } from 'cloudevents';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lib/core/report/run-report.js';
import { runIdOf, type SyntheticOptions, syntheticPlan } from '../cli/synthetic-plan.js';
import { BIN } from '../support/engine-process.js';

/** Names and units in other scripts, and a unit CSV must quote (a comma and quotes). */
const INTERNATIONAL_PLAN = `name: intl
hosts: { local: 3 }
repetitions: 3
workloads:
  - name: shop
    plugin: shell
    options:
      command: |
        echo '{"吞吐量": {"value": '${'$'}(( 1200 + FLEETBENCH_REP ))', "unit": "件/s"}, "latency": {"value": 3, "unit": "ms, \\"p99\\""}}'
`;

let dir: string;

function fleetbench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const out = spawnSync(process.execPath, [BIN, '--data-dir', join(dir, '.fleetbench'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

async function run(file: string, plan: string): Promise<string> {
  const path = join(dir, file);
  await writeFile(path, plan);
  const r = fleetbench('run', path);
  expect(r.code, r.stderr).toBe(0);
  return runIdOf(r.stdout);
}

const synthetic = (file: string, options: SyntheticOptions) => run(file, syntheticPlan(options));

describe('Honest statistics through the compiled CLI', () => {
  let slowHost: string;
  let twoReps: string;
  let slower: string;
  let renamed: string;
  let international: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetbench-statistics-'));
    slowHost = await synthetic('slow-host.yaml', { slowHost: 'host-3', zeroMetric: true });
    twoReps = await synthetic('two-reps.yaml', { slowHost: 'host-3', repetitions: 2 });
    slower = await synthetic('slower.yaml', { slowHost: 'host-3', zeroMetric: true, slowdownPercent: 50 });
    renamed = await synthetic('renamed.yaml', { workload: 'api-v2', slowHost: 'host-3' });
    international = await run('intl.yaml', INTERNATIONAL_PLAN);
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('report: outliers', () => {
    it('flags a host 40% slower, with 3 hosts and 3 repetitions, as practically and significantly different', () => {
      // Act
      const r = fleetbench('report', slowHost, '--format', 'json');
      const report = JSON.parse(r.stdout) as RunReport;

      // Assess
      expect(r.code).toBe(0);
      expect(report.outliers.map((o) => [o.metric, o.host])).toEqual([
        ['latency_ms', 'host-3'],
        ['requests_per_s', 'host-3'],
      ]);
      for (const o of report.outliers) expect(o.p).toBeLessThan(0.05 / 3);
    });

    it('flags no host with 2 repetitions, and says why, though host-3 is as slow', () => {
      const r = fleetbench('report', twoReps);

      expect(r.code).toBe(0);
      expect(r.stdout).toContain('## Outliers\n\nNo outliers flagged.\n');
      expect(r.stdout).toContain(
        "- 2 metrics not checked: no host has 3 repetitions (at most 2), too few to tell a host's difference from its own noise; run 3 or more repetitions.",
      );
      expect(r.stdout).toContain('|  |  | host-3 | 2 | 150 | 2.828 | 148 | 152 | 1.9% | +40.8% | - |');
    });
  });

  describe('compare: the CI gate', () => {
    it('exits 1 when the two runs share no metric, and says so', () => {
      // Act
      const gated = fleetbench('compare', slowHost, renamed, '--fail-on-regression', '5');
      const ungated = fleetbench('compare', slowHost, renamed);

      // Assess: with a gate, matching nothing fails; without one, the comparison is only shown.
      expect(gated.code).toBe(1);
      expect(gated.stdout).toContain('Gate failed: the two runs share no metric (workload × metric × unit)');
      expect(ungated.code).toBe(0);
      expect(ungated.stdout).toContain('3 only in baseline, 2 only in candidate.');
    });

    it('prints a Markdown summary for a pull-request comment, verdict first', () => {
      const r = fleetbench('compare', slowHost, slower, '--fail-on-regression', '10', '--format', 'md');

      expect(r.code).toBe(1);
      expect(r.stdout.split('\n').slice(0, 3)).toEqual([
        '### ❌ fleetbench compare: gate failed',
        '',
        '**Gate failed**: 2 metric(s) regressed significantly by more than 10%: api/latency_ms (+50.0%), api/requests_per_s (-33.3%)',
      ]);
      expect(r.stdout).toMatch(/^\| ❌ \| api \| latency_ms \| ms \| .* \| \*\*regressed\*\* \|$/m);
      expect(r.stdout).toContain('<details><summary>1 metric(s) with no significant change</summary>');
    });
  });

  describe('report: charts', () => {
    it('draws one line for an all-zero metric, and numbers with SI prefixes', () => {
      const r = fleetbench('report', slowHost, '--format', 'html');

      expect(r.code).toBe(0);
      expect(r.stdout).toContain('data-metric="api/errors" data-chart="zero"');
      expect(r.stdout).toContain('Every value is 0 (count): 9 repetitions on 3 hosts.');
      expect(r.stdout).toContain('<td>9.264 k req/s</td>');
      expect(r.stdout).toContain('>10 k</text>');
    });
  });

  describe('libraries', () => {
    it('quotes a unit with a comma and quotes in CSV (csv-stringify)', () => {
      const r = fleetbench('report', international, '--format', 'csv');

      expect(r.code).toBe(0);
      expect(r.stdout).toContain('\nshop,latency,"ms, ""p99""",lower,fleet,,9,3,0,3,3,0,3,,,\n');
      expect(r.stdout).toContain('\nshop,吞吐量,件/s,higher,fleet,,9,1202,');
    });

    it('lines up a table whose metric names are Chinese by their width on a terminal (string-width)', () => {
      // Act
      const r = fleetbench('compare', international, international);

      // Assess: the BASELINE column starts at the same terminal column on the header and on every row.
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      const header = lines.find((l) => l.startsWith('WORKLOAD')) ?? '';
      const rows = lines.filter((l) => l.startsWith('shop '));
      expect(rows).toHaveLength(2);
      const column = (line: string, at: number) => stringWidth(line.slice(0, at));
      const baseline = column(header, header.indexOf('BASELINE'));
      for (const row of rows) expect(column(row, row.search(/\d[\d.]* (?:k )?\(n=9\)/))).toBe(baseline);
    });

    it('writes events that the CloudEvents SDK reads back as valid CloudEvents 1.0', () => {
      const r = fleetbench('events', international, '--json');

      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(9);
      for (const line of lines) {
        const event = new CloudEvent(JSON.parse(line) as Record<string, unknown>);
        expect(event.validate()).toBe(true);
        expect(event.source).toBe(`fleetbench/local/${international}`);
      }
    });
  });
});
