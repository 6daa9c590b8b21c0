/**
 * `stress-ng`: runs one stressor (plus any the user adds through `extraArgs`) and reports its bogo-op
 * rates from stress-ng's YAML report.
 *
 * stress-ng writes YAML only to a file (`--yaml <file>`). `--yaml /dev/stdout` works when stdout is a
 * pipe, but when stdout is a regular file — how many runners capture output — stress-ng reopens it with
 * O_TRUNC and overwrites whatever the task printed before. So a constant script gives stress-ng a
 * `mktemp` file and cats it once stress-ng exits, keeping stress-ng's exit status.
 *
 * Metric names: `bogo_ops`, `bogo_ops_per_s_real`, `bogo_ops_per_s_cpu` when the report has one
 * stressor; with several (extraArgs such as `--vm 1`), each name gets the suffix `_<stressor>` with
 * dashes turned into underscores (`bogo_ops_cpu`, `bogo_ops_per_s_real_vm`), so a single-stressor
 * plan keeps short names and a multi-stressor plan never mixes two stressors under one name.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationSchema } from '../duration-schema.js';
import { isRecord, lastLine, nonNegative, outputError, positive } from './output.js';
import type { CommandOutput, Metric, WorkloadPlugin } from './types.js';

const TOOL = 'stress-ng';

/** Runs stress-ng with "$@" and a temporary YAML report, prints the report, exits with stress-ng's status. */
export const STRESS_NG_SCRIPT = `report=$(mktemp) || exit
trap 'rm -f "$report"' EXIT
trap 'exit 143' HUP INT TERM
stress-ng "$@" --yaml "$report"
status=$?
cat "$report"
exit "$status"
`;

export const stressNgOptionsSchema = z.strictObject({
  stressor: z.string().regex(/^[a-z0-9-]+$/, 'a stressor name such as cpu, vm, io, matrix'),
  workers: z.int().min(0).max(4096).default(1),
  timeout: durationSchema({ maxSeconds: 86_400, wholeSeconds: true }).default(10),
  extraArgs: z.array(z.string()).optional(),
});

export type StressNgOptions = z.output<typeof stressNgOptionsSchema>;

type StressorReport = {
  readonly stressor: string;
  readonly bogoOps: number;
  readonly perSecondReal: number;
  readonly perSecondCpu: number;
  readonly wallClockSeconds: number | undefined;
};

function reports(output: CommandOutput): StressorReport[] {
  if (lastLine(output.stdout) !== '...') {
    throw outputError(TOOL, 'no complete YAML report on stdout (missing the closing "...")', output);
  }
  let doc: unknown;
  try {
    doc = parseYaml(output.stdout);
  } catch {
    throw outputError(TOOL, 'YAML report on stdout is malformed', output);
  }
  const entries = isRecord(doc) ? doc.metrics : undefined;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw outputError(TOOL, 'YAML report has no "metrics" section (was --metrics-brief dropped?)', output);
  }
  return entries.map((entry, i) => {
    if (!isRecord(entry) || typeof entry.stressor !== 'string') {
      throw outputError(TOOL, `metrics entry ${i + 1} has no stressor name`, output);
    }
    const { stressor } = entry;
    const wall = entry['wall-clock-time'];
    return {
      stressor,
      bogoOps: positive(TOOL, `${stressor} bogo-ops`, entry['bogo-ops'], output),
      perSecondReal: positive(
        TOOL,
        `${stressor} bogo-ops-per-second-real-time`,
        entry['bogo-ops-per-second-real-time'],
        output,
      ),
      perSecondCpu: nonNegative(
        TOOL,
        `${stressor} bogo-ops-per-second-usr-sys-time`,
        entry['bogo-ops-per-second-usr-sys-time'],
        output,
      ),
      wallClockSeconds: typeof wall === 'number' ? wall : undefined,
    };
  });
}

/**
 * Runs `stress-ng --<stressor> <workers> --timeout <n>s --metrics-brief [extraArgs]` and reads its YAML.
 * @example
 * stressNg.command({ stressor: 'cpu', workers: 2, timeout: 10 }, context);
 * // { argv: ['sh', '-c', STRESS_NG_SCRIPT, 'stress-ng', '--cpu', '2', '--timeout', '10s', '--metrics-brief'] }
 * stressNg.parse(output, options);
 * // [{ name: 'bogo_ops', value: 1291, unit: 'ops' }, { name: 'bogo_ops_per_s_real', … }, { name: 'bogo_ops_per_s_cpu', … }]
 */
export const stressNg: WorkloadPlugin<StressNgOptions> = {
  name: 'stress-ng',
  description: 'stress-ng stressors; bogo ops and bogo ops/s (real and CPU time) from its YAML report',
  optionsSchema: stressNgOptionsSchema,
  requires: [{ binary: 'stress-ng', debian: 'stress-ng', amazonLinux: 'stress-ng' }],

  command(options) {
    return {
      argv: [
        'sh',
        '-c',
        STRESS_NG_SCRIPT,
        'stress-ng',
        `--${options.stressor}`,
        String(options.workers),
        '--timeout',
        `${options.timeout}s`,
        '--metrics-brief',
        ...(options.extraArgs ?? []),
      ],
    };
  },

  parse(output, options) {
    const all = reports(output);
    if (!all.some((r) => r.stressor === options.stressor)) {
      const found = all.map((r) => r.stressor).join(', ');
      throw outputError(
        TOOL,
        `report has no metrics for stressor ${options.stressor} (found: ${found})`,
        output,
      );
    }
    const suffixed = all.length > 1;
    return all.flatMap((r): Metric[] => {
      const suffix = suffixed ? `_${r.stressor.replaceAll('-', '_')}` : '';
      return [
        { name: `bogo_ops${suffix}`, value: r.bogoOps, unit: 'ops' },
        { name: `bogo_ops_per_s_real${suffix}`, value: r.perSecondReal, unit: 'ops/s' },
        { name: `bogo_ops_per_s_cpu${suffix}`, value: r.perSecondCpu, unit: 'ops/s' },
      ];
    });
  },

  estimateSeconds(options) {
    return options.timeout + 1;
  },

  measuredDurationMs(output) {
    try {
      const walls = reports(output).flatMap((r) =>
        r.wallClockSeconds === undefined ? [] : [r.wallClockSeconds],
      );
      return walls.length > 0 ? Math.max(...walls) * 1000 : undefined;
    } catch {
      return undefined;
    }
  },
};
