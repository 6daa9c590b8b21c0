/**
 * The workloads a run runs, expanded from the plan in one place. A plan's workload may declare a `matrix`
 * (`{bs: [4k, 64k], iodepth: [1, 32]}`): it runs as one variant per combination of values, each named
 * `disk[bs=4k,iodepth=1]` and journaled, reported and compared as a workload of its own, with the values put
 * into the plugin's options. A workload may also run `warmup` repetitions first: they are tasks like the
 * others (journaled, resumed, stopped), numbered 1..warmup before the measured ones, and the statistics leave
 * them out.
 *
 * The stored plan keeps the matrix as the user wrote it; the expansion is a pure function of it, so resume
 * (and a rebuild from `run.json`) finds exactly the variants the run started with. Parameters are taken in
 * the order of their names, not as the mapping was written: the plan's identity (planHash, canonical JSON)
 * and a DynamoDB map do not keep key order either, so the names and the order of variants cannot depend on
 * it. The first parameter varies slowest, values keep the order of their list.
 *
 * Variant names are safe in every format that carries a workload name: task keys (`::`), journal sort keys
 * (`#`), command ids (`.` separates their parts; command-id.ts reads a `[...]` part whole), S3 output
 * prefixes and file names (`/`), SSM comments (spaces). Hence the alphabet of a value in a name,
 * MATRIX_VALUE_TEXT, checked by the plan schema.
 */
import { PlanValidationError } from './errors.js';
import type { MatrixValue, Plan, WorkloadSpec } from './plan.js';
import type { PluginRegistry } from './plugins/index.js';

export type { MatrixValue };

/** One variant's values, by parameter name. */
export type MatrixParameters = Readonly<Record<string, MatrixValue>>;

/** A workload as a run runs it: a plan's workload, or one variant of a workload with a matrix. */
export type RunWorkload = {
  /** `disk`, or `disk[bs=4k,iodepth=1]` for a variant: the name in task keys, command ids and reports. */
  readonly name: string;
  /** The name of the plan's workload it comes from (its own name without a matrix). */
  readonly of: string;
  readonly plugin: string;
  /** The plugin's options, validated, with the variant's values in them. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The variant's values; empty without a matrix. */
  readonly parameters: MatrixParameters;
  readonly setup: readonly string[];
  readonly teardown: readonly string[];
  readonly timeout?: number;
  /** Warm-up repetitions, run first (repetitions 1..warmup) and left out of the statistics. */
  readonly warmup: number;
  /** Measured repetitions (warmup+1 .. warmup+repetitions). */
  readonly repetitions: number;
};

/** A value as it reads in a variant's name: letters, digits, ".", "_", "+", "-", at most 32. */
export const MATRIX_VALUE_TEXT = /^[A-Za-z0-9_.+-]{1,32}$/;
/** Parameter names are option names of the plugin. */
export const MATRIX_PARAMETER = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
/** Variants one workload may expand into: the history budget refuses far fewer in practice. */
export const MAX_VARIANTS = 1000;
/** Local output directories and SSM comments carry the name: keep it well inside their limits. */
export const MAX_VARIANT_NAME = 160;

/**
 * How a value is written in a variant's name.
 * @example
 * matrixValueText(0.5); // '0.5'
 * matrixValueText(true); // 'true'
 */
export function matrixValueText(value: MatrixValue): string {
  return String(value);
}

/**
 * Every combination of a matrix's values: parameters in name order, the first varying slowest.
 * @example
 * matrixCombinations({ iodepth: [1, 32], bs: ['4k', '64k'] });
 * // [{bs:'4k',iodepth:1}, {bs:'4k',iodepth:32}, {bs:'64k',iodepth:1}, {bs:'64k',iodepth:32}]
 */
export function matrixCombinations(
  matrix: Readonly<Record<string, readonly MatrixValue[]>>,
): MatrixParameters[] {
  let combinations: Record<string, MatrixValue>[] = [{}];
  for (const name of Object.keys(matrix).sort()) {
    const values = matrix[name] ?? [];
    combinations = combinations.flatMap((combination) =>
      values.map((value) => ({ ...combination, [name]: value })),
    );
  }
  return combinations;
}

/**
 * How many variants a matrix expands into, without expanding it.
 * @example
 * variantCount({ bs: ['4k', '64k'], iodepth: [1, 32] }); // 4
 */
export function variantCount(matrix: Readonly<Record<string, readonly unknown[]>>): number {
  return Object.values(matrix).reduce((n, values) => n * values.length, 1);
}

/**
 * The name of a workload's variant; the workload's own name without parameters.
 * @example
 * variantName('disk', { bs: '4k', iodepth: 1 }); // 'disk[bs=4k,iodepth=1]'
 * variantName('cpu', {}); // 'cpu'
 */
export function variantName(workload: string, parameters: MatrixParameters): string {
  const names = Object.keys(parameters).sort();
  if (names.length === 0) return workload;
  return `${workload}[${names.map((n) => `${n}=${matrixValueText(parameters[n] as MatrixValue)}`).join(',')}]`;
}

/**
 * The plan's workload a run's workload comes from: the name before `[`.
 * @example
 * baseWorkloadName('disk[bs=4k,iodepth=1]'); // 'disk'
 */
export function baseWorkloadName(name: string): string {
  const bracket = name.indexOf('[');
  return bracket < 0 ? name : name.slice(0, bracket);
}

function warmupOf(plan: Plan, workload: WorkloadSpec): number {
  return workload.warmup ?? plan.warmup ?? 0;
}

function expandWorkload(plan: Plan, workload: WorkloadSpec): RunWorkload[] {
  const common = {
    of: workload.name,
    plugin: workload.plugin,
    setup: workload.setup,
    teardown: workload.teardown,
    ...(workload.timeout !== undefined ? { timeout: workload.timeout } : {}),
    warmup: warmupOf(plan, workload),
    repetitions: workload.repetitions ?? plan.repetitions,
  };
  if (workload.matrix === undefined) {
    return [{ ...common, name: workload.name, options: workload.options, parameters: {} }];
  }
  return matrixCombinations(workload.matrix).map((parameters) => ({
    ...common,
    name: variantName(workload.name, parameters),
    options: { ...workload.options, ...parameters },
    parameters,
  }));
}

/** A variant's options as its plugin reads them: the matrix values normalised by the plugin's schema. */
function validated(plan: Plan, workload: RunWorkload, registry: PluginRegistry): RunWorkload {
  if (Object.keys(workload.parameters).length === 0) return workload;
  // The schema accepted every variant when the plan was validated; failing now means the plugin changed.
  const parsed = registry.get(workload.plugin)?.optionsSchema.safeParse(workload.options);
  if (!parsed?.success || typeof parsed.data !== 'object' || parsed.data === null) {
    throw new PlanValidationError(
      `workload ${workload.name}: its options no longer validate`,
      `plan of ${plan.name}`,
      {
        hint: 'the plugin changed since the run was planned; start a new run',
      },
    );
  }
  return { ...workload, options: parsed.data as Record<string, unknown> };
}

const expanded = new WeakMap<Plan, readonly RunWorkload[]>();
const normalised = new WeakMap<Plan, WeakMap<PluginRegistry, readonly RunWorkload[]>>();

/**
 * The workloads a run of `plan` runs, in order: each plan workload, or its variants in matrix order, each
 * variant's options as the plan gives them (its matrix values as written). Needs no plugin, so what only
 * reads a run (show, status) does not load the plugins' schemas. Plans do not change once validated, so the
 * expansion is kept per plan object.
 * @example
 * planWorkloads(plan).map((w) => w.name); // ['cpu', 'disk[bs=4k,iodepth=1]', 'disk[bs=4k,iodepth=32]', …]
 */
export function planWorkloads(plan: Plan): readonly RunWorkload[] {
  let list = expanded.get(plan);
  if (!list) {
    list = Object.freeze(plan.workloads.flatMap((w) => expandWorkload(plan, w)));
    expanded.set(plan, list);
  }
  return list;
}

/**
 * planWorkloads with each variant's options as its plugin reads them (durations in seconds, defaults
 * filled): what commands are built and outputs parsed with.
 * @example
 * runWorkloads(plan, plugins).find((w) => w.name === 'disk[runtime=2s]')?.options.runtime; // 2
 */
export function runWorkloads(plan: Plan, registry: PluginRegistry): readonly RunWorkload[] {
  let byRegistry = normalised.get(plan);
  if (!byRegistry) {
    byRegistry = new WeakMap();
    normalised.set(plan, byRegistry);
  }
  let list = byRegistry.get(registry);
  if (!list) {
    list = Object.freeze(planWorkloads(plan).map((w) => validated(plan, w, registry)));
    byRegistry.set(registry, list);
  }
  return list;
}

/**
 * A run's workload by name (a variant by its full name), its options as its plugin reads them.
 * @example
 * findRunWorkload(plan, 'disk[bs=4k,iodepth=1]', plugins)?.options.bs; // '4k'
 */
export function findRunWorkload(plan: Plan, name: string, registry: PluginRegistry): RunWorkload | undefined {
  return runWorkloads(plan, registry).find((w) => w.name === name);
}

/**
 * Every repetition number of a workload, warm-ups first.
 * @example
 * repetitionNumbers({ warmup: 1, repetitions: 2 }); // [1, 2, 3]
 */
export function repetitionNumbers(workload: Pick<RunWorkload, 'warmup' | 'repetitions'>): number[] {
  return Array.from({ length: workload.warmup + workload.repetitions }, (_, i) => i + 1);
}

/**
 * Whether a repetition is a warm-up: the first `warmup` of the workload.
 * @example
 * isWarmupRep({ warmup: 2 }, 2); // true
 * isWarmupRep({ warmup: 2 }, 3); // false
 */
export function isWarmupRep(workload: Pick<RunWorkload, 'warmup'>, rep: number): boolean {
  return rep <= workload.warmup;
}
