/**
 * `fleetbench doctor` through the real CLI, with a PATH of stand-in executables so a tool can be
 * present or missing whatever this machine has installed.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('Command: doctor', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetbench-doctor-cli-'));
    mkdirSync(join(dir, 'bin'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function install(...binaries: string[]): void {
    for (const b of binaries) {
      writeFileSync(join(dir, 'bin', b), '#!/bin/sh\n');
      chmodSync(join(dir, 'bin', b), 0o755);
    }
  }

  function doctor(...args: string[]) {
    return runCli(['doctor', ...args], {
      env: { PATH: join(dir, 'bin'), FLEETBENCH_HOME: join(dir, '.fleetbench') },
      cwd: dir,
    });
  }

  function plan(name: string, workloads: string): string {
    const path = join(dir, name);
    writeFileSync(path, `name: doctor-test\nhosts: { local: 2 }\nworkloads:\n${workloads}`);
    return path;
  }

  it('passes with one OK line per check when every plugin’s tool is installed', async () => {
    install('sh', 'stress-ng', 'fio', 'sysbench', 'iperf3');

    const r = await doctor();

    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('fleetbench doctor: local target, tools for every plugin');
    for (const check of ['node', 'data dir', 'sh', 'fio', 'iperf3', 'stress-ng', 'sysbench']) {
      expect(lines.some((l) => l.startsWith('OK ') && l.includes(` ${check} `))).toBe(true);
    }
    expect(r.stdout).toContain(`${join(dir, 'bin', 'fio')} (needed by fio)`);
    expect(r.stdout).toContain(`${join(dir, '.fleetbench')} does not exist yet`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('All checks passed.');
  });

  it('fails with exit 1, MISSING and the install command when a tool is not installed', async () => {
    install('sh', 'stress-ng', 'sysbench');

    const r = await doctor();

    expect(r.code).toBe(1);
    const fioLine = r.stdout.split('\n').find((l) => l.includes(' fio '));
    expect(fioLine).toMatch(/^MISSING +fio +not on PATH \(needed by fio\) +.*install -y fio/);
    expect(r.stdout).toMatch(/2 problem\(s\)\./);
  });

  it('with --plan checks only the tools the plan needs', async () => {
    install('sh', 'stress-ng');
    const path = plan(
      'cpu.yaml',
      '  - name: cpu\n    plugin: stress-ng\n    options: { stressor: cpu }\n  - name: mine\n    plugin: shell\n    options: { command: "true" }\n',
    );

    const r = await doctor('--plan', path);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tools for plan "doctor-test" (stress-ng, shell)');
    expect(r.stdout).not.toContain('fio');
    expect(r.stdout).not.toContain('iperf3');
  });

  it('with --plan fails when a tool the plan needs is missing', async () => {
    install('sh');
    const path = plan('net.yaml', '  - name: net\n    plugin: iperf3\n    options: { server: host-1 }\n');

    const r = await doctor('--plan', path, '--json');
    const result = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { check: string; status: string; fix?: string }[];
    };

    expect(r.code).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.checks.map((c) => [c.check, c.status])).toEqual([
      ['node', 'OK'],
      ['data dir', 'OK'],
      ['sh', 'OK'],
      ['iperf3', 'MISSING'],
    ]);
    expect(result.checks.at(-1)?.fix).toMatch(/install -y iperf3/);
  });

  it('fails when the data directory cannot be created', async () => {
    install('sh', 'stress-ng', 'fio', 'sysbench', 'iperf3');
    writeFileSync(join(dir, 'blocker'), '');

    const r = await doctor('--data-dir', join(dir, 'blocker', 'data'));

    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED +data dir +.* is not a directory/);
  });

  it.each([
    [['--target', 'mars'], 'unknown target "mars"'],
    [['--plan', 'missing.yaml'], 'plan file no such file'],
  ])('rejects %j with exit 2', async (args, message) => {
    const r = await doctor(...args);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
