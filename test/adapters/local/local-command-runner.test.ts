import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostWorkDir, LocalCommandRunner } from '../../../lib/adapters/local/local-command-runner.js';
import { ConflictError } from '../../../lib/core/errors.js';
import type { CommandRequest } from '../../../lib/core/ports.js';
import type { Host, InvocationResult } from '../../../lib/core/run.js';
import { isGroupAlive, isPidAlive, makeTempDir, ResultCollector, until } from '../../support/processes.js';

const host = (id: string): Host => ({ id, name: id });
const HOSTS = [host('host-1'), host('host-2'), host('host-3')];

let dataDir: string;
let results: ResultCollector;
let runner: LocalCommandRunner;
let seq = 0;

function request(fields: Partial<CommandRequest> & Pick<CommandRequest, 'script'>): CommandRequest {
  seq += 1;
  return {
    runId: 'run-1',
    commandId: `run-1#${seq}`,
    phase: 'repetition',
    hosts: [HOSTS[0] as Host],
    env: {},
    hostEnv: {},
    timeoutSeconds: 30,
    ...fields,
  };
}

/** The pgid of a running command, once its process has reported itself (pid file written by the script). */
async function pgidOf(file: string): Promise<number> {
  return until(
    async () => {
      const text = await readFile(file, 'utf8').catch(() => '');
      return text.endsWith('\n') ? Number(text.trim()) : undefined;
    },
    { what: `pid file ${file}` },
  );
}

beforeEach(async () => {
  dataDir = await makeTempDir();
  results = new ResultCollector();
  runner = new LocalCommandRunner({ dataDir, onResult: results.onResult, graceMs: 300 });
});

afterEach(async () => {
  await runner.close();
  expect(runner.runningProcessGroups()).toEqual([]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('Class: LocalCommandRunner', () => {
  describe('Method: send', () => {
    it('reports Success with exit code 0, millisecond times and the captured output files', async () => {
      const sent = await runner.send(
        request({ commandId: 'run-1#setup#1', script: 'echo out; echo err >&2' }),
      );

      const [result] = await results.waitFor(1);
      expect(sent).toEqual({ providerIds: [] });
      expect(result).toMatchObject({
        runId: 'run-1',
        commandId: 'run-1#setup#1',
        hostId: 'host-1',
        status: 'Success',
        exitCode: 0,
        stdoutRef: join(dataDir, 'runs/run-1/outputs/run-1_setup_1/host-1.stdout'),
        stderrRef: join(dataDir, 'runs/run-1/outputs/run-1_setup_1/host-1.stderr'),
      });
      expect(Date.parse(result?.finishedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(result?.startedAt ?? ''),
      );
      expect(result?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await expect(readFile(result?.stdoutRef ?? '', 'utf8')).resolves.toBe('out\n');
      await expect(readFile(result?.stderrRef ?? '', 'utf8')).resolves.toBe('err\n');
    });

    it('reports Failed with the exit code of a failing command', async () => {
      await runner.send(request({ script: 'echo partial; exit 3' }));

      const [result] = await results.waitFor(1);
      expect(result).toMatchObject({ status: 'Failed', exitCode: 3 });
      await expect(readFile(result?.stdoutRef ?? '', 'utf8')).resolves.toBe('partial\n');
    });

    it('passes env and per-host env to the command verbatim, quotes, newlines and $() included', async () => {
      const tricky = `it's "quoted" $(touch pwned) \`touch pwned\` $HOME\nsecond line\\n`;
      await runner.send(
        request({
          hosts: HOSTS.slice(0, 2),
          script: 'printf "%s|%s|%s" "$TRICKY" "$FLEETBENCH_HOST" "$SHARED"',
          env: { TRICKY: tricky, SHARED: 'common', FLEETBENCH_HOST: 'overridden' },
          hostEnv: { 'host-1': { FLEETBENCH_HOST: 'one' }, 'host-2': { FLEETBENCH_HOST: 'two=2 ; x' } },
        }),
      );

      await results.waitFor(2);
      await expect(readFile(results.get('host-1').stdoutRef ?? '', 'utf8')).resolves.toBe(
        `${tricky}|one|common`,
      );
      await expect(readFile(results.get('host-2').stdoutRef ?? '', 'utf8')).resolves.toBe(
        `${tricky}|two=2 ; x|common`,
      );
      await expect(readFile(join(hostWorkDir(dataDir, 'host-1', 'run-1'), 'pwned'))).rejects.toThrow(
        /ENOENT/,
      );
    });

    it("runs the command in the host's own working directory of the run", async () => {
      await runner.send(request({ hosts: HOSTS.slice(0, 2), script: 'pwd; touch marker' }));

      await results.waitFor(2);
      for (const id of ['host-1', 'host-2']) {
        const workDir = join(dataDir, 'hosts', id, 'work', 'run-1');
        await expect(readFile(results.get(id).stdoutRef ?? '', 'utf8')).resolves.toBe(`${workDir}\n`);
        await expect(readFile(join(workDir, 'marker'), 'utf8')).resolves.toBe('');
      }
    });

    it('runs the hosts in parallel', async () => {
      const started = Date.now();
      await runner.send(request({ hosts: HOSTS, script: 'sleep 0.5' }));

      await results.waitFor(3);
      expect(results.results.map((r) => r.status)).toEqual(['Success', 'Success', 'Success']);
      expect(Date.now() - started).toBeLessThan(1400);
    });

    it('runs one host at a time with maxConcurrency 1', async () => {
      await runner.send(request({ hosts: HOSTS, script: 'sleep 0.2', maxConcurrency: 1 }));

      const all = await results.waitFor(3);
      const spans = all
        .map((r) => ({ start: Date.parse(r.startedAt ?? ''), end: Date.parse(r.finishedAt ?? '') }))
        .sort((a, b) => a.start - b.start);
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i]?.start).toBeGreaterThanOrEqual(spans[i - 1]?.end ?? Infinity);
      }
    });

    it('stops starting hosts once more than maxErrors have failed, and reports the rest Cancelled', async () => {
      await runner.send(request({ hosts: HOSTS, script: 'exit 1', maxConcurrency: 1, maxErrors: 0 }));

      await results.waitFor(3);
      expect(results.get('host-1')).toMatchObject({ status: 'Failed', exitCode: 1 });
      for (const id of ['host-2', 'host-3']) {
        expect(results.get(id).status).toBe('Cancelled');
        expect(results.get(id).error).toMatch(/^not started: 1 hosts failed, more than maxErrors \(0\)/);
        expect(results.get(id).startedAt).toBeUndefined();
      }
    });

    it('delivers no result before send resolves, even for instant outcomes', async () => {
      const order: string[] = [];
      const local = new LocalCommandRunner({
        dataDir,
        unreachable: ['host-2'],
        onResult: (r) => {
          order.push(`result ${r.hostId}`);
          results.onResult(r);
        },
      });
      try {
        const sending = local.send(request({ hosts: HOSTS.slice(0, 2), script: 'true' }));
        await sending.then(() => order.push('send resolved'));

        await results.waitFor(2);
        expect(order[0]).toBe('send resolved');
      } finally {
        await local.close();
      }
    });

    it('reports a host declared unreachable as Undeliverable without running anything on it', async () => {
      const local = new LocalCommandRunner({ dataDir, unreachable: ['host-2'], onResult: results.onResult });
      try {
        await local.send(request({ hosts: HOSTS.slice(0, 2), script: 'true' }));

        await results.waitFor(2);
        expect(results.get('host-2')).toMatchObject({
          status: 'Undeliverable',
          error: 'host host-2 is unreachable',
        });
        expect(results.get('host-1').status).toBe('Success');
        expect(Object.keys(local.hostPids())).toEqual(['host-1']);
      } finally {
        await local.close();
      }
    });

    it('fails a host whose env cannot reach the shell, with the reason', async () => {
      await runner.send(request({ script: 'true', env: { 'BAD-NAME': 'x' } }));

      const [result] = await results.waitFor(1);
      expect(result).toMatchObject({ status: 'Failed' });
      expect(result?.error).toMatch(/^could not start: invalid environment variable name "BAD-NAME"/);
    });

    it('rejects a second send of a command that is still running', async () => {
      const req = request({ script: 'sleep 0.3' });
      await runner.send(req);

      await expect(runner.send(req)).rejects.toBeInstanceOf(ConflictError);
      await results.waitFor(1);
    });

    it('runs two commands on one host at the same time', async () => {
      const started = Date.now();
      await runner.send(request({ script: 'sleep 0.4' }));
      await runner.send(request({ script: 'sleep 0.4' }));

      const all = await results.waitFor(2);
      expect(all.map((r) => r.status)).toEqual(['Success', 'Success']);
      expect(Date.now() - started).toBeLessThan(750);
    });

    it('reuses one worker per host across commands and runs', async () => {
      await runner.send(request({ script: 'true' }));
      await results.waitFor(1);
      const pid = runner.hostPids()['host-1'];

      await runner.send(request({ runId: 'run-2', commandId: 'run-2#1', script: 'true' }));
      await results.waitFor(2);

      expect(pid).toBeGreaterThan(0);
      expect(runner.hostPids()['host-1']).toBe(pid);
    });
  });

  describe('Timeouts', () => {
    it('reports TimedOut and leaves no process of the command behind', async () => {
      const pidFile = join(dataDir, 'pid');
      await runner.send(
        request({ script: `echo $$ > ${pidFile}; sleep 30 & sleep 30; wait`, timeoutSeconds: 0.3 }),
      );
      const pgid = await pgidOf(pidFile);

      const [result] = await results.waitFor(1);
      expect(result).toMatchObject({ status: 'TimedOut' });
      await until(() => !isGroupAlive(pgid), { what: 'the timed-out group to be gone', timeoutMs: 1000 });
    });
  });

  describe('Method: cancel', () => {
    it('kills the command and its children within a second and reports Cancelled', async () => {
      const pidFile = join(dataDir, 'pid');
      const req = request({
        hosts: HOSTS.slice(0, 2),
        script: `echo $$ > ${pidFile}-$FLEETBENCH_HOST; sleep 30 & sleep 30; wait`,
      });
      await runner.send({
        ...req,
        hostEnv: { 'host-1': { FLEETBENCH_HOST: '1' }, 'host-2': { FLEETBENCH_HOST: '2' } },
      });
      const pgid = await pgidOf(`${pidFile}-1`);
      await pgidOf(`${pidFile}-2`);
      expect(runner.runningProcessGroups()).toContain(pgid);

      const cancelledAt = Date.now();
      await runner.cancel({ ...req, providerIds: [] }, [host('host-1')]);

      await until(() => results.results.length === 1, { what: 'the cancelled result' });
      expect(results.get('host-1')).toMatchObject({ status: 'Cancelled' });
      await until(() => !isGroupAlive(pgid), { what: 'the cancelled group to be gone', timeoutMs: 1000 });
      expect(Date.now() - cancelledAt).toBeLessThan(1000);
      expect(runner.runningProcessGroups()).not.toContain(pgid);
      expect(runner.runningProcessGroups()).toHaveLength(1);
    });

    it('SIGKILLs a command that ignores SIGTERM after the grace period', async () => {
      const pidFile = join(dataDir, 'pid');
      const req = request({ script: `trap '' TERM; echo $$ > ${pidFile}; sleep 30` });
      await runner.send(req);
      const pgid = await pgidOf(pidFile);

      const cancelledAt = Date.now();
      await runner.cancel({ ...req, providerIds: [] }, [host('host-1')]);

      const [result] = await results.waitFor(1);
      expect(result).toMatchObject({ status: 'Cancelled', exitCode: 137 });
      expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(250);
      await until(() => !isGroupAlive(pgid), { what: 'the killed group to be gone', timeoutMs: 1000 });
    });

    it('reports hosts that have not started yet Cancelled without running them', async () => {
      const req = request({ hosts: HOSTS, script: 'sleep 30', maxConcurrency: 1 });
      await runner.send(req);

      await runner.cancel({ ...req, providerIds: [] }, HOSTS);

      await results.waitFor(3);
      expect(results.results.map((r) => r.status)).toEqual(['Cancelled', 'Cancelled', 'Cancelled']);
      expect(results.get('host-2').startedAt).toBeUndefined();
    });

    it('does nothing for a command that already finished', async () => {
      const req = request({ script: 'true' });
      await runner.send(req);
      await results.waitFor(1);

      await runner.cancel({ ...req, providerIds: [] }, [host('host-1')]);

      expect(results.results.map((r) => r.status)).toEqual(['Success']);
    });
  });

  describe('A host going away', () => {
    it('fails the command in flight with a clear error and every later command on that host', async () => {
      const pidFile = join(dataDir, 'pid');
      await runner.send(
        request({
          hosts: HOSTS.slice(0, 2),
          script: `echo $$ > ${pidFile}-$FLEETBENCH_HOST; sleep 30`,
          hostEnv: { 'host-1': { FLEETBENCH_HOST: '1' }, 'host-2': { FLEETBENCH_HOST: '2' } },
        }),
      );
      const pgid = await pgidOf(`${pidFile}-1`);
      const workerPid = runner.hostPids()['host-1'] ?? 0;

      process.kill(workerPid, 'SIGKILL');

      const [lost] = await results.waitFor(1);
      expect(lost).toMatchObject({
        hostId: 'host-1',
        status: 'Failed',
        error: 'host host-1 worker exited (signal SIGKILL)',
      });
      await until(() => !isGroupAlive(pgid), { what: 'the lost command to be killed', timeoutMs: 1000 });
      expect(runner.hostPids()).not.toHaveProperty('host-1');

      await runner.send(request({ hosts: HOSTS.slice(0, 1), script: 'true' }));
      const later = await results.waitFor(2);
      expect(later[1]).toMatchObject({
        hostId: 'host-1',
        status: 'Failed',
        error: 'host host-1 is unreachable: worker exited',
      });
      expect(runner.hostPids()).toHaveProperty('host-2');
    });
  });

  describe('Method: close', () => {
    it('leaves no worker and no command process behind', async () => {
      const pidFile = join(dataDir, 'pid');
      await runner.send(
        request({
          hosts: HOSTS,
          script: `echo $$ > ${pidFile}-$FLEETBENCH_HOST; sleep 30 & sleep 30; wait`,
          hostEnv: Object.fromEntries(HOSTS.map((h) => [h.id, { FLEETBENCH_HOST: h.id }])),
        }),
      );
      const groups = await Promise.all(HOSTS.map((h) => pgidOf(`${pidFile}-${h.id}`)));
      const workers = Object.values(runner.hostPids());
      expect(workers).toHaveLength(3);

      await runner.close();

      expect(groups.filter(isGroupAlive)).toEqual([]);
      expect(workers.filter(isPidAlive)).toEqual([]);
      expect(results.results).toEqual([] satisfies InvocationResult[]);
    });
  });
});
