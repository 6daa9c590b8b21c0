import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkDataDir,
  checkNode,
  findOnPath,
  installAllCommand,
  installCommand,
  packageManagerOf,
  toolRequirements,
} from '../../lib/cli/doctor-checks.js';
import { fio } from '../../lib/core/plugins/fio.js';
import { iperf3 } from '../../lib/core/plugins/iperf3.js';
import { shell } from '../../lib/core/plugins/shell.js';
import { sysbench } from '../../lib/core/plugins/sysbench.js';

describe('Doctor checks', () => {
  let scratch: string;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'fleetbench-doctor-'));
  });

  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('Function: toolRequirements', () => {
    it('lists sh first, then each binary once with the plugins that need it', () => {
      const twin = { ...fio, name: 'fio-twin' };

      expect(toolRequirements([sysbench, shell, fio, iperf3, twin])).toEqual([
        { binary: 'sh', debian: 'dash', amazonLinux: 'bash', plugins: ['every command'] },
        { binary: 'fio', debian: 'fio', amazonLinux: 'fio', plugins: ['fio', 'fio-twin'] },
        { binary: 'iperf3', debian: 'iperf3', amazonLinux: 'iperf3', plugins: ['iperf3'] },
        { binary: 'sysbench', debian: 'sysbench', amazonLinux: 'sysbench', plugins: ['sysbench'] },
      ]);
    });
  });

  describe('Function: packageManagerOf', () => {
    it.each([
      ['ID=debian\nVERSION_ID="12"\n', 'apt-get'],
      ['ID=ubuntu\nID_LIKE=debian\n', 'apt-get'],
      ['ID=linuxmint\nID_LIKE="ubuntu debian"\n', 'apt-get'],
      ['ID="amzn"\nID_LIKE="fedora"\n', 'dnf'],
      ['ID="rocky"\nID_LIKE="rhel centos fedora"\n', 'dnf'],
      ['ID=alpine\n', 'unknown'],
      [undefined, 'unknown'],
    ])('reads %j as %s', (text, expected) => {
      expect(packageManagerOf(text)).toBe(expected);
    });
  });

  describe('Function: installCommand', () => {
    const tools = toolRequirements([fio, iperf3]).slice(1);

    it.each([
      ['apt-get', 'apt-get install -y fio iperf3'],
      ['dnf', 'dnf install -y fio iperf3'],
      [
        'unknown',
        'apt-get install -y fio iperf3 (Debian/Ubuntu) or dnf install -y fio iperf3 (Amazon Linux)',
      ],
    ] as const)('uses %s', (manager, expected) => {
      expect(installCommand(manager, tools)).toBe(expected);
    });

    it('gathers every missing package into one line, or none when the manager is unknown', () => {
      const checks = [
        { check: 'fio', status: 'MISSING' as const, detail: '', packages: ['fio'] },
        { check: 'node', status: 'OK' as const, detail: '' },
        { check: 'iperf3', status: 'MISSING' as const, detail: '', packages: ['iperf3'] },
      ];

      expect(installAllCommand(checks, 'apt-get')).toBe('apt-get install -y fio iperf3');
      expect(installAllCommand(checks, 'unknown')).toBeUndefined();
      expect(installAllCommand([], 'dnf')).toBeUndefined();
    });
  });

  describe('Function: checkNode', () => {
    it.each([
      ['20.0.0', 'OK'],
      ['v22.11.0', 'OK'],
      ['19.9.0', 'FAILED'],
      ['18.20.4', 'FAILED'],
    ])('judges Node.js %s %s', (version, status) => {
      expect(checkNode(version).status).toBe(status);
    });
  });

  describe('Function: findOnPath', () => {
    it('finds an executable file and skips directories and files that are not executable', async () => {
      const [a, b, c] = ['a', 'b', 'c'].map((d) => join(scratch, d));
      for (const dir of [a, b, c]) mkdirSync(dir ?? '');
      mkdirSync(join(a ?? '', 'tool'));
      writeFileSync(join(b ?? '', 'tool'), 'plain file');
      writeFileSync(join(c ?? '', 'tool'), '#!/bin/sh\n');
      chmodSync(join(c ?? '', 'tool'), 0o755);

      expect(await findOnPath('tool', [a, b, c].join(':'))).toBe(join(c ?? '', 'tool'));
      expect(await findOnPath('tool', [a, b].join(':'))).toBeUndefined();
    });
  });

  describe('Function: checkDataDir', () => {
    it('accepts an existing writable directory and leaves no probe behind', async () => {
      const check = await checkDataDir(scratch);

      expect(check).toEqual({ check: 'data dir', status: 'OK', detail: `${scratch} is writable` });
      expect(await findOnPath('anything', scratch)).toBeUndefined();
    });

    it('accepts a directory that does not exist yet under a writable one', async () => {
      const check = await checkDataDir(join(scratch, 'a', 'b', '.fleetbench'));

      expect(check.status).toBe('OK');
      expect(check.detail).toContain(`does not exist yet; ${scratch} is writable`);
    });

    it('fails when a file stands where a directory is needed', async () => {
      writeFileSync(join(scratch, 'file'), '');

      const check = await checkDataDir(join(scratch, 'file', '.fleetbench'));

      expect(check.status).toBe('FAILED');
      expect(check.detail).toContain(`${join(scratch, 'file')} is not a directory`);
      expect(check.fix).toContain('--data-dir');
    });
  });
});
