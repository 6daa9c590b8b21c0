/**
 * Figure 1 — local orchestration overhead per host-task: N trivial tasks (`/bin/true` through the shell
 * plugin) through the full engine, against the floor (the same N `/bin/sh -c /bin/true` from a bash loop)
 * and the peer (the same tasks as an Ansible playbook on localhost, `connection: local`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEngine, shellPlan } from '../lib/engine-run.js';
import { type FigureResult, measured, unavailable } from '../lib/report.js';
import { median, round } from '../lib/stats.js';

export type OverheadOptions = {
  readonly reps: number;
  readonly trials: number;
  readonly ansibleTrials: number;
};

const TARGET_MS = { comparator: '<=', value: 3, unit: 'ms' } as const;
const TARGET_RATIO = { comparator: '>=', value: 30, unit: '×' } as const;

/** The floor: `n` executions of `/bin/sh -c /bin/true` forked by a bash loop (what a host worker does). */
export function bashFloorMs(n: number): number {
  const start = performance.now();
  const out = spawnSync('bash', ['-c', `for ((i = 0; i < ${n}; i++)); do /bin/sh -c /bin/true; done`]);
  if (out.status !== 0) throw new Error(`floor loop failed: ${out.stderr.toString()}`);
  return performance.now() - start;
}

/** For reference: the same executions spawned one by one by Node. */
function spawnFloorMs(n: number): number {
  const start = performance.now();
  for (let i = 0; i < n; i += 1) spawnSync('/bin/sh', ['-c', '/bin/true']);
  return performance.now() - start;
}

export function ansibleVersion(): string | undefined {
  const out = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return undefined;
  return out.stdout.split('\n')[0]?.trim();
}

/** The same plan as a playbook: `reps` tasks in a row (one per repetition), every host in parallel. */
async function ansibleMs(hosts: number, reps: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetbench-ansible-'));
  try {
    const names = Array.from({ length: hosts }, (_, i) => `host-${i + 1}`);
    await writeFile(
      join(dir, 'inventory.ini'),
      `[bench]\n${names.join('\n')}\n[bench:vars]\nansible_connection=local\nansible_python_interpreter=auto_silent\n`,
    );
    const tasks = Array.from(
      { length: reps },
      (_, i) => `    - name: repetition ${i + 1}\n      ansible.builtin.command: /bin/true\n`,
    );
    await writeFile(
      join(dir, 'playbook.yml'),
      `- hosts: bench\n  gather_facts: false\n  tasks:\n${tasks.join('')}`,
    );
    const start = performance.now();
    const out = spawnSync(
      'ansible-playbook',
      ['-i', join(dir, 'inventory.ini'), '-f', String(hosts), join(dir, 'playbook.yml')],
      {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_NOCOLOR: '1' },
      },
    );
    const ms = performance.now() - start;
    if (out.status !== 0) throw new Error(`ansible-playbook failed: ${out.stdout.slice(-500)}${out.stderr}`);
    return ms;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function overheadFigure(
  options: OverheadOptions,
  log: (line: string) => void,
): Promise<FigureResult> {
  const { reps, trials } = options;
  const shapes = [1, 4].map((hosts) => ({ hosts, tasks: hosts * reps }));
  const engine: Record<number, { ms: number[]; cpuMs: number[]; openMs: number[] }> = {};
  const floor: Record<number, number[]> = {};
  for (const { hosts, tasks } of shapes) {
    engine[hosts] = { ms: [], cpuMs: [], openMs: [] };
    floor[hosts] = [];
    for (let t = 0; t < trials; t += 1) {
      const run = await runEngine(shellPlan('bench-overhead', hosts, reps, '/bin/true'));
      if (run.final.counts.completed !== tasks)
        throw new Error(`engine completed ${run.final.counts.completed} of ${tasks} tasks`);
      engine[hosts].ms.push(run.ms);
      engine[hosts].cpuMs.push(run.cpuMs);
      engine[hosts].openMs.push(run.openMs);
      floor[hosts].push(bashFloorMs(tasks));
      log(`  engine ${hosts} host(s) × ${reps} reps: ${run.ms.toFixed(0)} ms`);
    }
  }
  // One more 4-host run counting the engine's DynamoDB requests: where the time goes.
  const profiled = await runEngine(shellPlan('bench-overhead', 4, reps, '/bin/true'), {
    countRequests: true,
  });
  const requests = profiled.requests ?? {};
  const totalRequests = Object.values(requests).reduce((n, r) => n + r.count, 0);
  const requestMs = Object.values(requests).reduce((n, r) => n + r.ms, 0);

  const perTask = (hosts: number) => {
    const n = hosts * reps;
    return (median(engine[hosts]?.ms ?? []) - median(floor[hosts] ?? [])) / n;
  };
  const floorPerExec = median(floor[4] ?? []) / (4 * reps);

  const version = ansibleVersion();
  const ansible: Record<number, number[]> = {};
  if (version !== undefined) {
    for (const { hosts } of shapes) {
      ansible[hosts] = [];
      for (let t = 0; t < options.ansibleTrials; t += 1) {
        ansible[hosts].push(await ansibleMs(hosts, reps));
        log(`  ansible ${hosts} host(s) × ${reps} tasks: ${ansible[hosts].at(-1)?.toFixed(0)} ms`);
      }
    }
  }
  const ansiblePerTask = (hosts: number) =>
    (median(ansible[hosts] ?? []) - median(floor[hosts] ?? [])) / (hosts * reps);

  const measurements = [
    measured('engine, 4 hosts: ms per host-task above the floor (median)', perTask(4), 'ms', TARGET_MS),
    measured('engine, 1 host: ms per host-task above the floor (median)', perTask(1), 'ms'),
    measured(`engine, 4 hosts × ${reps} reps: total (median)`, median(engine[4]?.ms ?? []), 'ms'),
    measured(`floor: ${4 * reps} × /bin/sh -c /bin/true from bash`, median(floor[4] ?? []), 'ms'),
    measured(
      'engine CPU per host-task (4 hosts, this process)',
      median(engine[4]?.cpuMs ?? []) / (4 * reps),
      'ms',
    ),
    measured('engine DynamoDB requests per host-task (4 hosts)', totalRequests / (4 * reps), 'requests'),
  ];
  if (version === undefined) {
    measurements.push(
      unavailable(
        'Ansible, 4 hosts: ms per host-task above the floor',
        'ms',
        'not installed',
        'ansible-playbook not found',
      ),
      unavailable(
        'Ansible ÷ engine per host-task (4 hosts)',
        '×',
        'not installed',
        'ansible-playbook not found',
        TARGET_RATIO,
      ),
    );
  } else {
    measurements.push(
      measured('Ansible, 4 hosts: ms per host-task above the floor (median)', ansiblePerTask(4), 'ms'),
      measured('Ansible, 1 host: ms per host-task above the floor (median)', ansiblePerTask(1), 'ms'),
      measured('Ansible ÷ engine per host-task (4 hosts)', ansiblePerTask(4) / perTask(4), '×', TARGET_RATIO),
    );
  }
  return {
    id: 'overhead',
    title: 'Local orchestration overhead',
    method:
      `1 workload × ${reps} repetitions of /bin/true (shell plugin) on 1 and 4 local hosts through LocalEngine ` +
      `(open in a temp dir, start(...).done), ${trials} trials, minus the floor of the same number of ` +
      '/bin/sh -c /bin/true forked by a bash loop; the peer is the same tasks as an Ansible playbook ' +
      '(localhost inventory, connection: local, command module, forks = hosts).',
    measurements,
    details: {
      reps,
      trials,
      engineMs: engine,
      floorMs: floor,
      floorPerExecMs: round(floorPerExec),
      spawnSyncPerExecMs: round(spawnFloorMs(4 * reps) / (4 * reps)),
      ansible:
        version === undefined ? 'not installed' : { version, ms: ansible, trials: options.ansibleTrials },
      profiledRun: {
        ms: round(profiled.ms),
        dynamoRequests: totalRequests,
        dynamoRequestsPerHostTask: round(totalRequests / (4 * reps)),
        /** Sum of request latencies over the run's wall time (requests barely overlap in the engine). */
        dynamoMsShare: round(requestMs / profiled.ms),
        byOperation: Object.fromEntries(
          Object.entries(requests)
            .sort(([, a], [, b]) => b.count - a.count)
            .map(([name, r]) => [name, { count: r.count, ms: round(r.ms, 1), itemsRead: r.items }]),
        ),
      },
    },
  };
}
