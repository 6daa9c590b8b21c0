/**
 * `cpu-hash`: the built-in micro-benchmark of examples/quickstart.yaml. It hashes N MiB of zeros with
 * coreutils' `<algorithm>sum` and needs nothing but coreutils and a POSIX sh, so a first run works on any
 * Linux host — a laptop, a container, a fresh Amazon Linux instance reached through SSM — with no package
 * to install. The script is a constant that reads its parameters from "$1" and "$2" and checks them
 * again itself, so no option value ever becomes shell text.
 */
import { z } from 'zod';
import { isRecord, lastLine, outputError, positive } from './output.js';
import type { CommandOutput, WorkloadPlugin } from './types.js';

const TOOL = 'cpu-hash';

/** Hashes "$2" MiB of zeros with "$1"sum, timed with date's nanosecond clock; prints one JSON line. */
export const CPU_HASH_SCRIPT = `algorithm=$1 size_mib=$2
case $algorithm in
  md5 | sha1 | sha256 | sha512) ;;
  *) echo "cpu-hash: unsupported algorithm '$algorithm' (md5, sha1, sha256, sha512)" >&2; exit 2 ;;
esac
case $size_mib in
  '' | 0* | *[!0-9]*) echo "cpu-hash: size must be a whole number of MiB, got '$size_mib'" >&2; exit 2 ;;
esac
start=$(date +%s%N)
head -c "$((size_mib * 1048576))" /dev/zero | "\${algorithm}sum" >/dev/null || exit
end=$(date +%s%N)
case $start$end in
  *[!0-9]*) echo 'cpu-hash: this date has no nanosecond clock (date +%s%N)' >&2; exit 1 ;;
esac
elapsed_ns=$((end - start))
[ "$elapsed_ns" -gt 0 ] || elapsed_ns=1
rate=$((size_mib * 1000000000000 / elapsed_ns))
printf '{"tool":"cpu-hash","algorithm":"%s","size_mib":%s,"elapsed_ns":%s,"hash_throughput_mib_s":%s.%03d}\\n' \\
  "$algorithm" "$size_mib" "$elapsed_ns" "$((rate / 1000))" "$((rate % 1000))"
`;

export const cpuHashOptionsSchema = z.strictObject({
  algorithm: z.enum(['sha256', 'sha1', 'md5', 'sha512']).default('sha256'),
  sizeMiB: z.int().min(1).max(4096).default(64),
});

export type CpuHashOptions = z.output<typeof cpuHashOptionsSchema>;

type Report = { sizeMiB: number; elapsedNs: number };

function report(output: CommandOutput): Report {
  const line = lastLine(output.stdout);
  if (!line?.startsWith('{')) throw outputError(TOOL, 'no JSON result line on stdout', output);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw outputError(TOOL, 'the JSON result line is truncated or malformed', output);
  }
  if (!isRecord(parsed)) throw outputError(TOOL, 'the result line is not a JSON object', output);
  return {
    sizeMiB: positive(TOOL, 'size_mib', parsed.size_mib, output),
    elapsedNs: positive(TOOL, 'elapsed_ns', parsed.elapsed_ns, output),
  };
}

/**
 * Hashes `sizeMiB` MiB of zeros; reports `hash_throughput` (MiB/s) and `elapsed` (s).
 * @example
 * cpuHash.command({ algorithm: 'sha256', sizeMiB: 64 }, context);
 * // { argv: ['sh', '-c', CPU_HASH_SCRIPT, 'cpu-hash', 'sha256', '64'] }
 * cpuHash.parse({ stdout: '{"tool":"cpu-hash","algorithm":"sha256","size_mib":64,"elapsed_ns":500000000}\n', stderr: '', exitCode: 0 }, options);
 * // [{ name: 'hash_throughput', value: 128, unit: 'MiB/s' }, { name: 'elapsed', value: 0.5, unit: 's' }]
 */
export const cpuHash: WorkloadPlugin<CpuHashOptions> = {
  name: 'cpu-hash',
  description:
    'hash N MiB of zeros with coreutils sha256sum (or sha1/md5/sha512); needs only coreutils and sh',
  optionsSchema: cpuHashOptionsSchema,
  requires: [],

  command(options) {
    return { argv: ['sh', '-c', CPU_HASH_SCRIPT, 'cpu-hash', options.algorithm, String(options.sizeMiB)] };
  },

  parse(output) {
    const { sizeMiB, elapsedNs } = report(output);
    const seconds = elapsedNs / 1e9;
    return [
      { name: 'hash_throughput', value: sizeMiB / seconds, unit: 'MiB/s' },
      { name: 'elapsed', value: seconds, unit: 's' },
    ];
  },

  estimateSeconds(options) {
    return Math.max(1, Math.ceil(options.sizeMiB / 100));
  },

  measuredDurationMs(output) {
    try {
      return report(output).elapsedNs / 1e6;
    } catch {
      return undefined;
    }
  },
};
