/**
 * `shell`: the escape hatch for any benchmark fleetbench has no plugin for. The user's command runs as
 * their own script (it is theirs, so it is the one command that is not an argv). Metrics come from a
 * JSON object on the last stdout line — the cheapest contract a home-grown tool can meet — and from
 * regexes over stdout for tools that only print text.
 */
import { z } from 'zod';
import { isRecord, lastLine, outputError, toNumber } from './output.js';
import type { CommandOutput, Metric, WorkloadPlugin } from './types.js';

const TOOL = 'shell';
const METRIC_NAME = /^[a-z][a-z0-9_]*$/;

/** Why a regex cannot extract a metric, or `undefined` when it can. */
function regexProblem(source: string): string | undefined {
  let probe: RegExpExecArray | null;
  try {
    probe = new RegExp(`${source}|`, 'm').exec('');
  } catch (error) {
    return `invalid regex: ${error instanceof Error ? error.message : String(error)}`;
  }
  const groups = (probe?.length ?? 1) - 1;
  if (probe?.groups && 'value' in probe.groups) return undefined;
  return groups === 1 ? undefined : `needs exactly one capture group or a named group "value", has ${groups}`;
}

const regexSource = z.string().superRefine((source, ctx) => {
  const problem = regexProblem(source);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const shellOptionsSchema = z.strictObject({
  command: z.string().trim().min(1, 'command must not be empty'),
  metrics: z
    .strictObject({
      regex: z.record(z.string().regex(METRIC_NAME, 'metric names are snake_case'), regexSource).default({}),
      units: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  expectMetrics: z.boolean().default(false),
});

export type ShellOptions = z.output<typeof shellOptionsSchema>;

/** The value of the last match of `source` on stdout (multiline: `^`/`$` match at line ends). */
function lastMatch(text: string, source: string): string | undefined {
  let value: string | undefined;
  for (const match of text.matchAll(new RegExp(source, 'gm'))) {
    value = match.groups?.value ?? match[1];
  }
  return value;
}

/** The plan's unit for a metric; own keys only, so `constructor` or `__proto__` is not read from Object's prototype. */
function unitOf(units: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(units, name) ? units[name] : undefined;
}

function jsonLineMetrics(output: CommandOutput, units: Record<string, string>): Metric[] {
  const line = lastLine(output.stdout);
  if (!line?.startsWith('{')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw outputError(
      TOOL,
      'the last stdout line starts with "{" but is not valid JSON (truncated?)',
      output,
    );
  }
  if (!isRecord(parsed)) return [];
  const metrics: Metric[] = [];
  for (const [name, field] of Object.entries(parsed)) {
    if (typeof field === 'number' && Number.isFinite(field)) {
      metrics.push({ name, value: field, unit: unitOf(units, name) ?? '' });
    } else if (isRecord(field) && typeof field.value === 'number' && Number.isFinite(field.value)) {
      const unit = unitOf(units, name) ?? (typeof field.unit === 'string' ? field.unit : '');
      metrics.push({ name, value: field.value, unit });
    }
  }
  return metrics;
}

/**
 * Runs the user's own script and reads metrics from its stdout.
 * @example
 * shell.command({ command: 'my-bench --json', expectMetrics: true }, context); // { script: 'my-bench --json' }
 * shell.parse({ stdout: 'warming up\n{"ops": 1200, "p99": {"value": 3.5, "unit": "ms"}}\n', stderr: '', exitCode: 0 }, options);
 * // [{ name: 'ops', value: 1200, unit: '' }, { name: 'p99', value: 3.5, unit: 'ms' }]
 */
export const shell: WorkloadPlugin<ShellOptions> = {
  name: 'shell',
  description: 'any shell command; metrics from a JSON object on its last stdout line or from regexes',
  optionsSchema: shellOptionsSchema,
  requires: [],

  command(options) {
    return { script: options.command };
  },

  parse(output, options) {
    const units = options.metrics?.units ?? {};
    const byName = new Map<string, Metric>();
    for (const metric of jsonLineMetrics(output, units)) byName.set(metric.name, metric);
    for (const [name, source] of Object.entries(options.metrics?.regex ?? {})) {
      const text = lastMatch(output.stdout, source);
      if (text === undefined)
        throw outputError(TOOL, `metric ${name}: /${source}/ matches nothing on stdout`, output);
      const value = toNumber(text);
      if (value === undefined) {
        throw outputError(
          TOOL,
          `metric ${name}: /${source}/ captured ${JSON.stringify(text)}, not a number`,
          output,
        );
      }
      byName.set(name, { name, value, unit: unitOf(units, name) ?? '' });
    }
    if (options.expectMetrics && byName.size === 0) {
      throw outputError(TOOL, 'expectMetrics is set but stdout has no JSON object on its last line', output);
    }
    return [...byName.values()];
  },

  estimateSeconds() {
    return 0;
  },
};
