/**
 * The constant scripts are shell text inside TypeScript template literals, where one missed escape
 * changes what runs. These tests hand them to a real POSIX sh — only sh and coreutils, no benchmark
 * tool — to check that they parse and that they refuse arguments they did not expect.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CPU_HASH_SCRIPT, cpuHash, cpuHashOptionsSchema } from '../../../lib/core/plugins/cpu-hash.js';
import { IPERF3_SCRIPT } from '../../../lib/core/plugins/iperf3.js';
import { STRESS_NG_SCRIPT } from '../../../lib/core/plugins/stress-ng.js';
import { SYSBENCH_FILEIO_SCRIPT } from '../../../lib/core/plugins/sysbench.js';
import { argvToScript } from '../../../lib/core/shell.js';
import { context, HOSTILE } from './fixtures.js';

function sh(script: string, args: readonly string[], env: Record<string, string> = {}) {
  const { PATH = '/usr/bin:/bin' } = process.env;
  const r = spawnSync('sh', ['-c', script, 'test', ...args], { encoding: 'utf8', env: { PATH, ...env } });
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? -1 };
}

describe('Constant scripts', () => {
  let scratch: string;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'fleetbench-scripts-'));
  });

  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it.each([
    ['cpu-hash', CPU_HASH_SCRIPT],
    ['stress-ng', STRESS_NG_SCRIPT],
    ['sysbench fileio', SYSBENCH_FILEIO_SCRIPT],
    ['iperf3', IPERF3_SCRIPT],
  ])('the %s script parses under sh -n', (_, script) => {
    expect(spawnSync('sh', ['-n', '-c', script]).status).toBe(0);
  });

  it('cpu-hash prints a line its own parser accepts', () => {
    const output = sh(CPU_HASH_SCRIPT, ['md5', '1']);

    const metrics = cpuHash.parse(output, cpuHashOptionsSchema.parse({ algorithm: 'md5', sizeMiB: 1 }));

    expect(output.exitCode).toBe(0);
    expect(metrics.map((m) => m.name)).toEqual(['hash_throughput', 'elapsed']);
  });

  it('cpu-hash survives the script builder’s quoting and runs as built', () => {
    const options = cpuHashOptionsSchema.parse({ algorithm: 'sha1', sizeMiB: 1 });
    const command = cpuHash.command(options, context);
    const line = 'argv' in command ? argvToScript(command.argv) : '';

    const output = sh(line, []);

    expect(output.exitCode).toBe(0);
    expect(cpuHash.parse(output, options)[0]?.value).toBeGreaterThan(0);
  });

  it('iperf3 compares a hostile host name as data, never running it', () => {
    const marker = join(scratch, 'pwned');
    const hostile = `${HOSTILE}; touch ${marker}`;
    const line = argvToScript(['sh', '-c', IPERF3_SCRIPT, 'iperf3', 'host-1', '5201', '1', '1', '0', '']);

    const output = sh(line, [], { FLEETBENCH_HOST: hostile });

    expect(output.stderr).toContain('FLEETBENCH_IPERF3_SERVER is not set');
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    ['algorithm', (marker: string) => [`sha256sum; touch ${marker}; sha256`, '1']],
    ['size', (marker: string) => ['sha256', `1$(touch ${marker})`]],
    ['size with arithmetic', () => ['sha256', '1+1']],
    ['size with a leading zero', () => ['sha256', '010']],
  ])('cpu-hash refuses a hostile %s without running it', (_, args) => {
    const marker = join(scratch, 'pwned');

    const output = sh(CPU_HASH_SCRIPT, args(marker));

    expect(output.exitCode).toBe(2);
    expect(output.stderr).toMatch(/^cpu-hash: (unsupported algorithm|size must be a whole number)/);
    expect(existsSync(marker)).toBe(false);
  });

  it('iperf3 refuses to guess its role without FLEETBENCH_HOST', () => {
    const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '1', '1', '0', '']);

    expect(output.exitCode).toBe(2);
    expect(output.stderr).toContain('FLEETBENCH_HOST is not set');
  });

  it('iperf3 names the missing server address on a client host', () => {
    const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '1', '1', '0', ''], { FLEETBENCH_HOST: 'host-2' });

    expect(output.exitCode).toBe(2);
    expect(output.stderr).toContain('FLEETBENCH_IPERF3_SERVER is not set (the address of host host-1)');
  });

  describe('iperf3 with a stand-in iperf3 that answers from a script', () => {
    /**
     * Puts an `iperf3` first on PATH that logs its arguments and prints the n-th line of `answers`
     * on its n-th call (nothing once they run out, as an idle `iperf3 -s -1 --idle-timeout` does).
     */
    function fakeIperf3(answers: readonly string[]): { env: Record<string, string>; calls: () => string[] } {
      writeFileSync(join(scratch, 'answers'), answers.map((a) => `${a}\n`).join(''));
      writeFileSync(
        join(scratch, 'iperf3'),
        [
          '#!/bin/sh',
          `n=$(($(cat ${scratch}/count 2>/dev/null || echo 0) + 1))`,
          `echo "$n" > ${scratch}/count`,
          `echo "$*" >> ${scratch}/calls`,
          `sed -n "\${n}p" ${scratch}/answers`,
        ].join('\n'),
      );
      chmodSync(join(scratch, 'iperf3'), 0o755);
      return {
        env: { PATH: `${scratch}:/usr/bin:/bin`, FLEETBENCH_IPERF3_SERVER: '127.0.0.1' },
        calls: () => readFileSync(join(scratch, 'calls'), 'utf8').trim().split('\n'),
      };
    }

    const served = (n: number) =>
      `{"start": {"accepted_connection": {"host": "10.0.0.${n}"}}, "round": ${n}}`;

    it('serves clients round after round, waiting `linger` seconds after the first, and wraps every report', () => {
      const fake = fakeIperf3([served(1), served(2), served(3)]);

      const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '2', '1', '0', '', '4'], {
        ...fake.env,
        FLEETBENCH_HOST: 'host-1',
      });

      expect(output.exitCode).toBe(0);
      expect(JSON.parse(output.stdout)).toEqual({
        server_tests: [1, 2, 3].map((n) => ({
          start: { accepted_connection: { host: `10.0.0.${n}` } },
          round: n,
        })),
      });
      expect(fake.calls()).toEqual([
        '-s -1 -J -p 5201 --idle-timeout 62',
        '-s -1 -J -p 5201 --idle-timeout 4',
        '-s -1 -J -p 5201 --idle-timeout 4',
        '-s -1 -J -p 5201 --idle-timeout 4',
      ]);
    });

    it('fails the server when no client ever came', () => {
      fakeIperf3([]);

      const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '2', '1', '0', '', '4'], {
        PATH: `${scratch}:/usr/bin:/bin`,
        FLEETBENCH_HOST: 'host-1',
      });

      expect(output.exitCode).toBe(1);
      expect(output.stdout).toBe('');
      expect(output.stderr).toContain('iperf3: no client connected within 62 s');
    });

    it('fails the server when a round reported an error, keeping every report', () => {
      fakeIperf3([served(1), '{"start": {"accepted_connection": {}}, "error": "the client has terminated"}']);

      const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '1', '1', '0', '', '1'], {
        PATH: `${scratch}:/usr/bin:/bin`,
        FLEETBENCH_HOST: 'host-1',
      });

      expect(output.exitCode).toBe(1);
      expect((JSON.parse(output.stdout) as { server_tests: unknown[] }).server_tests).toHaveLength(2);
    });

    it('has a client retry when it reached a round just as that round ended', () => {
      const reset = '{"start": {}, "error": "unable to receive control message: Connection reset by peer"}';
      const fake = fakeIperf3([reset, '{"start": {"connecting_to": {}}, "end": {}}']);

      const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '1', '1', '0', '', '3'], {
        ...fake.env,
        FLEETBENCH_HOST: 'host-2',
      });

      expect(output.exitCode).toBe(0);
      expect(fake.calls()).toHaveLength(2);
    });

    it('has a client wait its turn while the server is busy with another client', () => {
      const busy = '{"start": {}, "error": "the server is busy running a test. try again later"}';
      const fake = fakeIperf3([busy, busy, '{"start": {"connecting_to": {}}, "end": {}}']);

      const output = sh(IPERF3_SCRIPT, ['host-1', '5201', '1', '1', '0', '', '3'], {
        ...fake.env,
        FLEETBENCH_HOST: 'host-2',
      });

      expect(output.exitCode).toBe(0);
      expect(output.stdout).toBe('{"start": {"connecting_to": {}}, "end": {}}\n');
      expect(fake.calls()).toHaveLength(3);
    });
  });
});
