/**
 * Times a command as a whole process: wall time from its start to its exit, and the CPU time (user +
 * system) it and the children it waited for used. bash measures both — `$EPOCHREALTIME` around the
 * command, `times` for its children — because Node reports neither for a child. CPU time is the figure a
 * shared machine does not inflate as much as wall time: it is reported beside it.
 */
import { spawnSync } from 'node:child_process';

export type ProcessTime = {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
};

/** The command runs with fd 3 closed; the timings come back on it. */
const SCRIPT = `exec 4>&3
start=$EPOCHREALTIME
"$@" 3>&- 4>&-
code=$?
end=$EPOCHREALTIME
{ echo "$start $end $code"; times; } >&4`;

/**
 * @example
 * const t = timeProcess('node', ['bin/fleetbench.js', '--help'], { cwd });
 * t.wallMs; // 180.2
 */
export function timeProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): ProcessTime {
  const out = spawnSync('bash', ['-c', SCRIPT, 'bash', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 120_000,
  });
  const timings = String(out.output[3] ?? '').trim();
  const [line, , children] = timings.split('\n');
  const [start, end, code] = (line ?? '').split(' ').map(Number);
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end) || !children) {
    throw new Error(`could not time ${command} ${args.join(' ')}: ${out.error?.message ?? out.stderr}`);
  }
  return {
    wallMs: (end - start) * 1000,
    cpuMs: children.split(' ').reduce((sum, t) => sum + seconds(t) * 1000, 0),
    code: code ?? null,
    stdout: out.stdout,
    stderr: out.stderr,
  };
}

/** `0m0.151s` → 0.151 */
function seconds(time: string): number {
  const match = /^(\d+)m([\d.]+)s$/.exec(time.trim());
  if (!match) throw new Error(`unexpected time ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}
