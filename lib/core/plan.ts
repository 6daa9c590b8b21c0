/**
 * The plan: what a user writes (YAML or JSON) and what a run stores as its snapshot. The zod schema
 * is strict — an unknown key is an error, because a typo such as `repetiton: 5` must never be silently
 * ignored — and it normalises (durations to seconds, defaults filled), so a stored plan validates again
 * to itself and `resume` rehydrates exactly what ran. Errors report every issue at once (a user fixes
 * them in one go), each as one line naming the field path the way a user reads it and, for YAML, the
 * `file:line:column` of the node; YAML syntax errors are explained by yaml-syntax.ts.
 *
 * One concept in one file although it is long: the schema, the wording of its errors and the locating of
 * those errors in the file are one contract with the user (docs/plan.md), they change together with every
 * new field, and the error map and locator read the schema's own issue parameters.
 */
import { createHash } from 'node:crypto';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { durationSchema } from './duration-schema.js';
import { type PlanIssue, PlanValidationError } from './errors.js';
import type { PluginRegistry } from './plugins/index.js';
import { describeValue as describe } from './value-description.js';
import {
  MATRIX_PARAMETER,
  MATRIX_VALUE_TEXT,
  MAX_VARIANT_NAME,
  MAX_VARIANTS,
  matrixCombinations,
  matrixValueText,
  variantCount,
  variantName,
} from './workload-variants.js';
import { explainYamlErrors } from './yaml-syntax.js';

export type HostsSpec =
  | { local: number | string[]; unreachable?: string[] }
  | { instanceIds: string[] }
  | { tags: Record<string, string> }
  | {
      provision: {
        count: number;
        instanceType: string;
        ami: string;
        subnetId?: string;
        securityGroupIds?: string[];
        spot?: boolean;
      };
    };

/** A value of a matrix parameter, as the user wrote it (a variant's name shows it so). */
export type MatrixValue = string | number | boolean;

export type WorkloadSpec = {
  name: string;
  plugin: string;
  /**
   * The plugin's options, validated and with defaults filled; with a matrix, as the user wrote them (alone
   * they may be incomplete: each variant's options are validated, see workload-variants.ts).
   */
  options: Record<string, unknown>;
  /** Parameter sweep: option name → the values to run, one variant per combination (workload-variants.ts). */
  matrix?: Record<string, MatrixValue[]>;
  setup: string[];
  teardown: string[];
  timeout?: number;
  repetitions?: number;
  /** Warm-up repetitions run before the measured ones; overrides the plan's `warmup`. */
  warmup?: number;
};

export type Plan = {
  name: string;
  description?: string;
  hosts: HostsSpec;
  requireAllHosts: boolean;
  repetitions: number;
  /** Warm-up repetitions of every workload (default 0): run first, journaled, left out of the statistics. */
  warmup?: number;
  strategy: 'lockstep' | 'free';
  concurrency?: number;
  failurePolicy: { failFast: boolean; maxFailedPercent: number };
  timeouts: { task: number; stop: number };
  env: Record<string, string>;
  setup: string[];
  teardown: string[];
  workloads: WorkloadSpec[];
};

export type { PluginRegistry };

const DOCS_HINT = 'see docs/plan.md';
const HOST_KINDS = ['local', 'instanceIds', 'tags', 'provision'] as const;
const MAX_LOCAL_HOSTS = 256;
const MAX_AWS_HOSTS = 1000;
/** Task sort keys pad the repetition to 4 digits (task-key.ts), so more would break their order. */
const MAX_REPETITIONS = 9999;
/** SSM's executionTimeout ceiling. */
const MAX_TIMEOUT_SECONDS = 48 * 3600;

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const WORKLOAD_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const AMI = /^(?:ami-(?:[0-9a-f]{8}|[0-9a-f]{17})|\/[\w./-]+)$/;
const SUBNET = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SECURITY_GROUP = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** What a custom issue may carry to the formatter, in zod's `params`. */
type IssueParams = {
  hint?: string;
  /** Point at the key of the last path segment rather than at its value. */
  atKey?: boolean;
  /**
   * The issue repeats the list item at this index, counted in the innermost list of the issue's path:
   * the message is named after that list and gains "(first at line N)".
   */
  duplicateOf?: number;
};

/** The error customizer can only return a message, so a hint rides along after this separator. */
const HINT_SEPARATOR = '\u0000';

type Ctx = z.core.$RefinementCtx;

function addIssue(ctx: Ctx, message: string, params: IssueParams & { path?: PropertyKey[] } = {}): void {
  const { path, ...rest } = params;
  ctx.addIssue({ code: 'custom', message, ...(path ? { path } : {}), params: rest });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const EXPECTED_NAMES: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  int: 'a whole number',
};

function plural(count: number | bigint, word: string): string {
  return `${count} ${word}${count === 1 || count === 1n ? '' : 's'}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest known word to a typo, if it is close enough to be what the user meant. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

function unknownKeyHint(key: string, allowed: readonly string[]): string {
  const guess = closest(key, allowed);
  return guess ? `did you mean "${guess}"?` : `allowed keys: ${allowed.join(', ')}`;
}

/** Turns zod's issues into the messages users read; a schema's own `error` message still wins. */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${EXPECTED_NAMES[issue.expected] ?? issue.expected}, got ${describe(issue.input)}`;
    case 'too_small': {
      const { minimum, inclusive, origin } = issue;
      if (origin === 'string')
        return minimum === 1 ? 'must not be empty' : `must have at least ${plural(minimum, 'character')}`;
      if (origin === 'array' || origin === 'set') return `must have at least ${plural(minimum, 'item')}`;
      return inclusive ? `must be at least ${minimum}` : `must be greater than ${minimum}`;
    }
    case 'too_big': {
      const { maximum, inclusive, origin } = issue;
      if (origin === 'string') return `must have at most ${plural(maximum, 'character')}`;
      if (origin === 'array' || origin === 'set') return `must have at most ${plural(maximum, 'item')}`;
      return inclusive ? `must be at most ${maximum}` : `must be less than ${maximum}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(issue.input)}`;
    case 'invalid_format':
      return `has an invalid format${issue.format === 'regex' ? '' : ` (expected ${issue.format})`}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys': {
      const shape = (issue.inst?._zod.def as { shape?: Record<string, unknown> } | undefined)?.shape;
      const key = issue.keys[0] ?? '';
      const hint = shape ? unknownKeyHint(key, Object.keys(shape)) : DOCS_HINT;
      return `unknown key "${key}"${HINT_SEPARATOR}${hint}`;
    }
    case 'invalid_union':
      return `does not match any allowed form, got ${describe(issue.input)}`;
    default:
      return undefined;
  }
};

/** Runs a nested schema (chosen at run time) and forwards its issues under `prefix`. */
function subParse<T>(schema: z.ZodType<T>, value: unknown, ctx: Ctx, prefix: PropertyKey[] = []): T {
  const result = schema.safeParse(value, { error: errorMap });
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: [...prefix, ...issue.path] });
  return z.NEVER;
}

function required(ctx: Ctx, value: unknown, expected: string): boolean {
  if (value !== undefined) return true;
  addIssue(ctx, 'is required', { hint: `expected ${expected}` });
  return false;
}

/** Environment values are strings for the shell; numbers and booleans written unquoted are accepted. */
const envValue = z.unknown().transform((value, ctx): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  addIssue(ctx, `expected a string, got ${describe(value)}`);
  return z.NEVER;
});

const commands = z.array(z.string().min(1)).default(() => []);

function uniqueItems(what: string) {
  return (items: readonly unknown[], ctx: Ctx): void => {
    const seen = new Map<unknown, number>();
    items.forEach((item, index) => {
      const first = seen.get(item);
      if (first === undefined) seen.set(item, index);
      else addIssue(ctx, `duplicate ${what} ${describe(item)}`, { path: [index], duplicateOf: first });
    });
  };
}

function localHostNames(local: number | string[]): string[] {
  return typeof local === 'number' ? Array.from({ length: local }, (_, i) => `host-${i + 1}`) : local;
}

const hostNameSchema = z.string().regex(HOST_NAME, {
  error: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit',
});

const localCount = z.number().int().min(1).max(MAX_LOCAL_HOSTS);
const localNames = z.array(hostNameSchema).min(1).max(MAX_LOCAL_HOSTS).superRefine(uniqueItems('host name'));

const localHostsSchema = z
  .strictObject({
    local: z.unknown().transform((value, ctx): number | string[] => {
      if (!required(ctx, value, 'a host count or a list of names')) return z.NEVER;
      if (typeof value === 'number') return subParse(localCount, value, ctx);
      if (Array.isArray(value)) return subParse(localNames, value, ctx);
      addIssue(ctx, `expected a host count or a list of host names, got ${describe(value)}`);
      return z.NEVER;
    }),
    unreachable: z.array(z.string()).optional(),
  })
  .superRefine((spec, ctx) => {
    const names = localHostNames(spec.local);
    spec.unreachable?.forEach((name, index) => {
      if (!names.includes(name)) {
        const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
        addIssue(ctx, `unknown host "${name}" (hosts: ${shown})`, { path: ['unreachable', index] });
      }
    });
  });

const instanceIdsSchema = z.strictObject({
  instanceIds: z
    .array(z.string().regex(INSTANCE_ID, { error: 'must be an EC2 instance id such as i-0123456789abcdef0' }))
    .min(1)
    .max(MAX_AWS_HOSTS)
    .superRefine(uniqueItems('instance id')),
});

const tagsSchema = z.strictObject({
  tags: z
    .record(z.string().min(1).max(128), z.string().max(256))
    .refine((tags) => Object.keys(tags).length > 0, { error: 'must have at least one tag' }),
});

const provisionSchema = z.strictObject({
  provision: z.strictObject({
    count: z.number().int().min(1).max(MAX_AWS_HOSTS),
    instanceType: z
      .string()
      .regex(INSTANCE_TYPE, { error: 'must be an EC2 instance type such as c7g.large' }),
    ami: z.string().regex(AMI, {
      error: 'must be an AMI id (ami-…) or an SSM parameter path starting with /',
    }),
    subnetId: z
      .string()
      .regex(SUBNET, { error: 'must be a subnet id such as subnet-0123456789abcdef0' })
      .optional(),
    securityGroupIds: z
      .array(
        z
          .string()
          .regex(SECURITY_GROUP, { error: 'must be a security group id such as sg-0123456789abcdef0' }),
      )
      .optional(),
    spot: z.boolean().optional(),
  }),
});

/** Typed loosely: zod's optional keys are `T | undefined`, which exactOptionalPropertyTypes tells apart. */
const HOST_SCHEMAS: Record<(typeof HOST_KINDS)[number], z.ZodType> = {
  local: localHostsSchema,
  instanceIds: instanceIdsSchema,
  tags: tagsSchema,
  provision: provisionSchema,
};

/** `hosts` has exactly one of four forms, told apart by which key is present. */
const hostsSchema = z.unknown().transform((value, ctx): HostsSpec => {
  const hint = 'e.g. hosts: { local: 3 } or hosts: { tags: { team: perf } }';
  if (!required(ctx, value, 'one of local, instanceIds, tags, provision')) return z.NEVER;
  if (!isRecord(value)) {
    addIssue(ctx, `expected a mapping, got ${describe(value)}`, { hint });
    return z.NEVER;
  }
  const kinds = HOST_KINDS.filter((kind) => kind in value);
  const [kind] = kinds;
  if (kind === undefined || kinds.length > 1) {
    const unknown = Object.keys(value).find((key) => !(HOST_KINDS as readonly string[]).includes(key));
    const guess = unknown === undefined ? undefined : closest(unknown, HOST_KINDS);
    addIssue(
      ctx,
      kinds.length > 1
        ? `must have only one of ${HOST_KINDS.join(', ')} (got ${kinds.join(', ')})`
        : `must have one of ${HOST_KINDS.join(', ')}`,
      { hint: guess ? `did you mean "${guess}"?` : hint },
    );
    return z.NEVER;
  }
  return subParse(HOST_SCHEMAS[kind], value, ctx) as HostsSpec;
});

const envSchema = z
  .record(z.string(), envValue)
  .default(() => ({}))
  .superRefine((env, ctx) => {
    for (const name of Object.keys(env)) {
      if (!ENV_NAME.test(name)) {
        addIssue(ctx, `invalid environment variable name "${name}"`, {
          path: [name],
          atKey: true,
          hint: 'names are letters, digits and "_", not starting with a digit',
        });
      } else if (name.startsWith('FLEETBENCH_')) {
        addIssue(ctx, `"${name}" is reserved: fleetbench sets FLEETBENCH_* variables itself`, {
          path: [name],
          atKey: true,
        });
      }
    }
  });

/** A matrix value: a scalar that can name a variant (workload-variants.ts, MATRIX_VALUE_TEXT). */
const matrixValue = z.unknown().transform((value, ctx): MatrixValue => {
  if (
    typeof value !== 'string' &&
    typeof value !== 'boolean' &&
    (typeof value !== 'number' || !Number.isFinite(value))
  ) {
    addIssue(ctx, `expected a string, a number or true/false, got ${describe(value)}`, {
      hint: 'a matrix lists values of one option each, e.g. matrix: { bs: [4k, 64k] }',
    });
    return z.NEVER;
  }
  if (!MATRIX_VALUE_TEXT.test(matrixValueText(value))) {
    addIssue(ctx, `${describe(value)} cannot name a variant`, {
      hint: 'matrix values become part of the variant name (disk[bs=4k]): at most 32 letters, digits, ".", "_", "+" or "-"',
    });
    return z.NEVER;
  }
  return value;
});

const matrixSchema = z.record(z.string(), z.array(matrixValue).min(1)).superRefine((matrix, ctx) => {
  const names = Object.keys(matrix);
  if (names.length === 0)
    addIssue(ctx, 'must have at least one parameter', { hint: 'e.g. matrix: { bs: [4k, 64k] }' });
  for (const name of names) {
    if (!MATRIX_PARAMETER.test(name)) {
      addIssue(ctx, `invalid parameter name "${name}"`, {
        path: [name],
        atKey: true,
        hint: 'a matrix parameter is an option of the plugin: letters, digits and "_"',
      });
    }
    const first = new Map<string, number>();
    (matrix[name] ?? []).forEach((value, index) => {
      // Case-insensitive, like workload names: variant names become file names.
      const text = matrixValueText(value).toLowerCase();
      const earlier = first.get(text);
      if (earlier === undefined) first.set(text, index);
      else
        addIssue(ctx, `duplicate value ${describe(value)}`, {
          path: [name, index],
          duplicateOf: earlier,
          hint: 'each value names a variant, and variant names are unique (case-insensitive)',
        });
    });
  }
  const count = variantCount(matrix);
  if (count > MAX_VARIANTS)
    addIssue(ctx, `expands into ${count} variants, more than ${MAX_VARIANTS}`, {
      hint: 'sweep fewer values, or split the sweep over several workloads',
    });
});

/** The option names of a plugin whose options are one object schema, for hints. */
function optionNames(schema: z.ZodType): string[] | undefined {
  const shape = (schema as { _zod?: { def?: { shape?: Record<string, unknown> } } })._zod?.def?.shape;
  return shape ? Object.keys(shape) : undefined;
}

/**
 * Where a plugin's issue about one variant's options belongs in the file: at the matrix value it came from,
 * at the matrix key the plugin does not know, or in the workload's options.
 */
function locateVariantIssue(
  issue: z.core.$ZodIssue,
  plugin: { name: string; optionsSchema: z.ZodType },
  matrix: Readonly<Record<string, readonly MatrixValue[]>>,
  parameters: Readonly<Record<string, MatrixValue>>,
): z.core.$ZodIssue[] {
  const [head, ...rest] = issue.path;
  if (issue.code === 'unrecognized_keys' && rest.length === 0 && head === undefined) {
    const inMatrix = issue.keys.filter((key) => Object.hasOwn(matrix, key));
    const inOptions = issue.keys.filter((key) => !Object.hasOwn(matrix, key));
    const known = optionNames(plugin.optionsSchema) ?? [];
    return [
      ...(inOptions.length > 0 ? [{ ...issue, keys: inOptions, path: ['options'] }] : []),
      ...inMatrix.map((key): z.core.$ZodIssue => {
        const guess = closest(key, known);
        const hint = guess
          ? `did you mean "${guess}"?`
          : `a matrix parameter is an option of the plugin${known.length > 0 ? `: ${known.join(', ')}` : ''}`;
        return {
          code: 'custom',
          message: `"${key}" is not an option of plugin "${plugin.name}"`,
          path: ['matrix', key],
          input: undefined,
          params: { atKey: true, hint } satisfies IssueParams,
        };
      }),
    ];
  }
  if (typeof head === 'string' && Object.hasOwn(parameters, head)) {
    const index = (matrix[head] ?? []).indexOf(parameters[head] as MatrixValue);
    return [{ ...issue, path: ['matrix', head, index, ...rest] }];
  }
  return [{ ...issue, path: ['options', ...issue.path] }];
}

/** Puts a note after an issue's message, before the hint the error map may have appended. */
function withNote(message: string, note: string): string {
  const [text = '', ...hint] = message.split(HINT_SEPARATOR);
  return [`${text}${note}`, ...hint].join(HINT_SEPARATOR);
}

/**
 * Validates every variant of a workload with a matrix against the plugin's option schema. An issue is
 * reported once: at the matrix value that causes it, or, when it is in the options, naming the first
 * variant it occurs in (unless it occurs in all).
 */
function validateVariants(
  plugin: { name: string; optionsSchema: z.ZodType },
  workload: { name: string; options: Record<string, unknown>; matrix: Record<string, MatrixValue[]> },
  ctx: Ctx,
): void {
  const { name, matrix } = workload;
  const conflicts = Object.keys(matrix).filter((key) => Object.hasOwn(workload.options, key));
  for (const key of conflicts)
    addIssue(ctx, `"${key}" is set in options too`, {
      path: ['matrix', key],
      atKey: true,
      hint: `a matrix parameter takes its values from the matrix alone: remove ${key} from options`,
    });
  // The variants are still checked, with the matrix's values, so every other problem is reported too.
  const options = Object.fromEntries(
    Object.entries(workload.options).filter(([key]) => !Object.hasOwn(matrix, key)),
  );
  const combinations = matrixCombinations(matrix);
  const found = new Map<string, { issue: z.core.$ZodIssue; variants: string[] }>();
  for (const parameters of combinations) {
    const variant = variantName(name, parameters);
    if (variant.length > MAX_VARIANT_NAME) {
      addIssue(ctx, `makes variant names longer than ${MAX_VARIANT_NAME} characters (${variant})`, {
        path: ['matrix'],
        atKey: true,
        hint: 'use a shorter workload name, fewer parameters or shorter values',
      });
      return;
    }
    const result = plugin.optionsSchema.safeParse({ ...options, ...parameters }, { error: errorMap });
    if (result.success) {
      if (!isRecord(result.data))
        addIssue(ctx, `plugin "${plugin.name}" produced options that are not a mapping`, {
          path: ['options'],
        });
      continue;
    }
    for (const issue of result.error.issues) {
      for (const located of locateVariantIssue(issue, plugin, matrix, parameters)) {
        const key = `${located.code}\u0000${located.path.map(String).join('\u0000')}\u0000${located.message}`;
        const entry = found.get(key) ?? { issue: located, variants: [] };
        entry.variants.push(variant);
        found.set(key, entry);
      }
    }
  }
  for (const { issue, variants } of found.values()) {
    const [first] = variants;
    const everywhere = variants.length === combinations.length;
    const note =
      issue.path[0] === 'matrix' || everywhere || first === undefined
        ? ''
        : ` (in variant ${first}${variants.length > 1 ? ` and ${variants.length - 1} more` : ''})`;
    ctx.addIssue({ ...issue, message: withNote(issue.message, note) } as never);
  }
}

function workloadSchema(registry: PluginRegistry) {
  const plugin = z
    .string()
    .min(1)
    .superRefine((name, ctx) => {
      if (registry.get(name)) return;
      const known = [...registry.names()].sort();
      const guess = closest(name, known);
      addIssue(ctx, `unknown plugin "${name}" (known: ${known.join(', ')})`, {
        hint: guess ? `did you mean "${guess}"?` : 'see docs/workloads.md',
      });
    });

  return z
    .strictObject({
      name: z.string().regex(WORKLOAD_NAME, {
        error: 'must be 1-40 letters, digits, "_" or "-", starting with a letter or digit',
      }),
      plugin,
      options: z.record(z.string(), z.unknown()).default(() => ({})),
      setup: commands,
      teardown: commands,
      matrix: matrixSchema.optional(),
      timeout: durationSchema({ maxSeconds: MAX_TIMEOUT_SECONDS }).optional(),
      repetitions: z.number().int().min(1).max(MAX_REPETITIONS).optional(),
      warmup: z.number().int().min(0).max(MAX_REPETITIONS).optional(),
    })
    .transform((workload, ctx): WorkloadSpec => {
      const found = registry.get(workload.plugin);
      if (!found) return z.NEVER;
      if (workload.matrix !== undefined) {
        // Kept as written: the expansion (workload-variants.ts) validates each variant's options again.
        validateVariants(found, { ...workload, matrix: workload.matrix }, ctx);
        return workload as WorkloadSpec;
      }
      const options = subParse(found.optionsSchema, workload.options, ctx, ['options']);
      if (!isRecord(options)) {
        addIssue(ctx, `plugin "${found.name}" produced options that are not a mapping`, {
          path: ['options'],
        });
        return z.NEVER;
      }
      return { ...workload, options } as WorkloadSpec;
    });
}

function duplicateWorkloadNames(workloads: readonly WorkloadSpec[], ctx: Ctx): void {
  const first = new Map<string, number>();
  workloads.forEach((workload, index) => {
    const key = workload.name.toLowerCase();
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    else
      addIssue(ctx, `duplicate workload name "${workload.name}"`, {
        path: [index, 'name'],
        duplicateOf: earlier,
        hint: 'workload names are unique (case-insensitive): they name result files and task keys',
      });
  });
}

function planSchema(registry: PluginRegistry) {
  return z
    .strictObject({
      name: z.string().min(1).max(80),
      description: z.string().optional(),
      hosts: hostsSchema,
      requireAllHosts: z.boolean().default(false),
      repetitions: z.number().int().min(1).max(MAX_REPETITIONS).default(1),
      warmup: z.number().int().min(0).max(MAX_REPETITIONS).optional(),
      strategy: z.enum(['lockstep', 'free']).default('lockstep'),
      concurrency: z.number().int().min(1).optional(),
      failurePolicy: z
        .strictObject({
          failFast: z.boolean().default(false),
          maxFailedPercent: z.number().min(0).max(100).default(100),
        })
        .prefault({}),
      timeouts: z
        .strictObject({
          task: durationSchema({ maxSeconds: MAX_TIMEOUT_SECONDS }).default(3600),
          stop: durationSchema({ maxSeconds: MAX_TIMEOUT_SECONDS }).default(30),
        })
        .prefault({}),
      env: envSchema,
      setup: commands,
      teardown: commands,
      workloads: z.array(workloadSchema(registry)).min(1).superRefine(duplicateWorkloadNames),
    })
    .superRefine(iperf3ServerIsAHost)
    .superRefine(repetitionsFitSortKeys);
}

/** Warm-ups and measured repetitions are numbered together, and task sort keys hold 4 digits of them. */
function repetitionsFitSortKeys(
  plan: { repetitions: number; warmup?: number | undefined; workloads: readonly WorkloadSpec[] },
  ctx: Ctx,
): void {
  plan.workloads.forEach((workload, index) => {
    const warmup = workload.warmup ?? plan.warmup ?? 0;
    const repetitions = workload.repetitions ?? plan.repetitions;
    const total = warmup + repetitions;
    // Either number alone above the limit is its own issue already.
    if (total <= MAX_REPETITIONS || warmup > MAX_REPETITIONS || repetitions > MAX_REPETITIONS) return;
    addIssue(ctx, `warm-ups and repetitions make ${total} repetitions, more than ${MAX_REPETITIONS}`, {
      path: workload.warmup === undefined ? ['warmup'] : ['workloads', index, 'warmup'],
      hint: 'use fewer warm-ups or repetitions',
    });
  });
}

/**
 * An iperf3 workload's `server` names a host of the plan. Checkable only where the plan names its hosts
 * (local hosts); on aws the names are known once the hosts are resolved.
 */
function iperf3ServerIsAHost(plan: { hosts: HostsSpec; workloads: readonly WorkloadSpec[] }, ctx: Ctx): void {
  if (!('local' in plan.hosts)) return;
  const names = localHostNames(plan.hosts.local);
  plan.workloads.forEach((workload, index) => {
    if (workload.plugin !== 'iperf3') return;
    // The server is an option, or a matrix parameter (one server per variant).
    const servers: [unknown, PropertyKey[]][] = workload.matrix?.server
      ? workload.matrix.server.map((value, i) => [value, ['matrix', 'server', i]])
      : [[(workload.options as { server?: unknown }).server, ['options', 'server']]];
    for (const [server, path] of servers) {
      if (typeof server !== 'string' || names.includes(server)) continue;
      addIssue(ctx, `iperf3 server "${server}" is not a host of the plan`, {
        path: ['workloads', index, ...path],
        hint: `name one of the plan's hosts: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
      });
    }
  });
}

/** Findings zod cannot express on a tree: NUL characters (no shell can carry them) and alias cycles. */
function structuralIssue(value: unknown): { path: PropertyKey[]; message: string } | undefined {
  const open = new Set<unknown>();
  const walk = (node: unknown, path: PropertyKey[]): { path: PropertyKey[]; message: string } | undefined => {
    if (typeof node === 'string')
      return node.includes('\0') ? { path, message: 'contains a NUL character' } : undefined;
    if (typeof node !== 'object' || node === null) return undefined;
    if (open.has(node)) return { path, message: 'refers to itself (a recursive YAML alias)' };
    open.add(node);
    const entries: [PropertyKey, unknown][] = Array.isArray(node)
      ? [...node.entries()]
      : Object.entries(node);
    for (const [key, child] of entries) {
      const found = walk(child, [...path, key]);
      if (found) return found;
    }
    open.delete(node);
    return undefined;
  };
  return walk(value, []);
}

/** How a path reads to a user: `workloads[1].options.size`, `env["MY-VAR"]`, `plan` for the root. */
function label(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(segment))) text += `${text ? '.' : ''}${String(segment)}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text || 'plan';
}

/** Where an issue is: for YAML a line and column, for a JSON object its path. */
type Locator = {
  /** The `where` of PlanValidationError. */
  where(path: readonly PropertyKey[], atKey: boolean): string;
  /** How a message refers to another node ("line 7"). */
  reference(path: readonly PropertyKey[]): string;
  /** Sort order of issues: the first in the document is reported. */
  order(path: readonly PropertyKey[], atKey: boolean): number;
};

function jsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '$';
  const text = label(path);
  return text.startsWith('[') ? `$${text}` : `$.${text}`;
}

function objectLocator(source: string): Locator {
  return {
    where: (path) => `${source}:${jsonPath(path)}`,
    reference: (path) => label(path),
    order: () => 0,
  };
}

function yamlLocator(source: string, doc: ReturnType<typeof parseDocument>, lines: LineCounter): Locator {
  const offsetOf = (path: readonly PropertyKey[], atKey: boolean): number => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    for (const [index, segment] of path.entries()) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        const keyStart = (pair.key as YamlNode).range?.[0] ?? offset;
        if (atKey && index === path.length - 1) return keyStart;
        node = pair.value;
        offset = (pair.value as YamlNode | null)?.range?.[0] ?? keyStart;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        offset = (node as YamlNode).range?.[0] ?? offset;
      } else break;
    }
    return offset;
  };
  return {
    where: (path, atKey) => {
      const { line, col } = lines.linePos(offsetOf(path, atKey));
      return `${source}:${line}:${col}`;
    },
    reference: (path) => `line ${lines.linePos(offsetOf(path, false)).line}`,
    order: (path, atKey) => offsetOf(path, atKey),
  };
}

function toValidationError(issues: readonly z.core.$ZodIssue[], locator: Locator): PlanValidationError {
  const located = issues.map((issue, index) => {
    const params = (issue.code === 'custom' ? issue.params : undefined) as IssueParams | undefined;
    const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const path = unknownKey === undefined ? issue.path : [...issue.path, unknownKey];
    const atKey = unknownKey !== undefined || params?.atKey === true;
    const [text = '', separatedHint] = issue.message.split(HINT_SEPARATOR);
    // A typo in a key usually explains every other issue (a "missing" field is often the misspelt one).
    const rank = unknownKey === undefined ? 1 : 0;
    return { issue, index, params, path, atKey, text, hint: params?.hint ?? separatedHint, rank };
  });
  located.sort(
    (a, b) =>
      a.rank - b.rank || locator.order(a.path, a.atKey) - locator.order(b.path, b.atKey) || a.index - b.index,
  );
  const problems = located.map((entry): PlanIssue => {
    let name = label(entry.issue.code === 'unrecognized_keys' ? entry.issue.path : entry.path);
    let reference = '';
    const duplicateOf = entry.params?.duplicateOf;
    if (duplicateOf !== undefined) {
      const listDepth = entry.path.findLastIndex((segment) => typeof segment === 'number');
      name = label(entry.path.slice(0, listDepth));
      const original = entry.path.map((segment, depth) => (depth === listDepth ? duplicateOf : segment));
      reference = ` (first at ${locator.reference(original)})`;
    }
    return {
      message: `${name}: ${entry.text}${reference}`,
      where: locator.where(entry.path, entry.atKey),
      hint: entry.hint ?? DOCS_HINT,
    };
  });
  const unique = problems.filter(
    (issue, index) =>
      problems.findIndex((other) => other.message === issue.message && other.where === issue.where) === index,
  );
  const [first, ...more] = unique;
  if (!first)
    return new PlanValidationError('plan is invalid', locator.where([], false), { hint: DOCS_HINT });
  return new PlanValidationError(first.message, first.where, {
    ...(first.hint === undefined ? {} : { hint: first.hint }),
    more,
  });
}

function validate(value: unknown, registry: PluginRegistry, locator: Locator): Plan {
  const structural = structuralIssue(value);
  if (structural) {
    throw new PlanValidationError(
      `${label(structural.path)}: ${structural.message}`,
      locator.where(structural.path, false),
      {
        hint: DOCS_HINT,
      },
    );
  }
  const result = planSchema(registry).safeParse(value, { error: errorMap });
  if (!result.success) throw toValidationError(result.error.issues, locator);
  return result.data as Plan;
}

/**
 * Parses and validates a plan file (YAML, or JSON, which is YAML).
 * @throws PlanValidationError with `where` = `source:line:column` of the first problem, `issues` = all
 * @example
 * const plan = parsePlan(readFileSync('plan.yaml', 'utf8'), 'plan.yaml', registry);
 * plan.timeouts.task; // 3600 (seconds; "10m" in the file becomes 600)
 */
export function parsePlan(text: string, source: string, registry: PluginRegistry): Plan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const [first, ...more] = explainYamlErrors(text, doc.errors, lines).map((issue): PlanIssue => {
      const { line, col } = lines.linePos(issue.offset);
      return {
        message: `YAML syntax error: ${issue.message}`,
        where: `${source}:${line}:${col}`,
        hint: issue.hint,
      };
    });
    if (first)
      throw new PlanValidationError(first.message, first.where, {
        hint: first.hint ?? DOCS_HINT,
        more,
        cause: doc.errors[0],
      });
  }
  if (doc.contents === null) {
    throw new PlanValidationError('plan is empty', `${source}:1:1`, {
      hint: 'a plan needs at least name, hosts and workloads; see docs/plan.md',
    });
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    throw new PlanValidationError(`YAML error: ${(error as Error).message}`, `${source}:1:1`, {
      hint: 'define each anchor (&name) before its alias (*name), and do not nest aliases deeply',
      cause: error,
    });
  }
  return validate(value, registry, yamlLocator(source, doc, lines));
}

/**
 * Validates a plan that arrives as an object (workflow input, a stored snapshot). Re-validating a
 * parsed plan yields an equal plan.
 * @throws PlanValidationError with `where` = `source:$.json.path`
 * @example
 * const plan = validatePlanObject(meta.plan, `run ${runId}`, registry);
 */
export function validatePlanObject(value: unknown, source: string, registry: PluginRegistry): Plan {
  return validate(value, registry, objectLocator(source));
}

/**
 * The plan's identity: sha256 hex of its canonical JSON. Stored with the run; resume compares it.
 * @example
 * planHash(plan); // 'e3b0c442…' (64 hex characters)
 */
export function planHash(plan: Plan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

/**
 * How many repetitions a workload runs: its own setting, else the plan's.
 * @example
 * repetitionsOf({ ...plan, repetitions: 3 }, { ...workload, repetitions: 5 }); // 5
 */
export function repetitionsOf(plan: Plan, workload: WorkloadSpec): number {
  return workload.repetitions ?? plan.repetitions;
}
