/**
 * The workload plugin contract. A plugin turns validated options into a command (an argv that the
 * script builder quotes, never splices) and turns the command's output into metrics. Plugins are pure:
 * no I/O, so the same plugin builds commands in a Lambda and parses results in the local engine.
 */
import type { z } from 'zod';

/** One measured value. Names are stable snake_case (docs/workloads.md); units are explicit. */
export type Metric = {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
};

export type CommandContext = {
  readonly workload: string;
  readonly rep: number;
  /** The task's deterministic seed, also exported to the command as FLEETBENCH_SEED. */
  readonly seed: string;
};

/** What a plugin asks the host to run: an argv (quoted by the builder) or, for `shell`, the user's own script. */
export type PluginCommand = { readonly argv: readonly string[] } | { readonly script: string };

export type CommandOutput = {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
};

/** A tool a plugin needs on the host, with the package that provides it. */
export type Requirement = {
  readonly binary: string;
  readonly debian: string;
  readonly amazonLinux: string;
};

export interface WorkloadPlugin<Options = unknown> {
  readonly name: string;
  readonly description: string;
  readonly optionsSchema: z.ZodType<Options>;
  readonly requires: readonly Requirement[];
  command(options: Options, context: CommandContext): PluginCommand;
  /**
   * Extracts metrics from a successful run. Throws PluginOutputError when the output is not what the
   * tool prints (truncated, an error message): a task is never COMPLETED with silent zeros.
   */
  parse(output: CommandOutput, options: Options): Metric[];
  /** Rough seconds one repetition takes, for `validate`'s estimate. */
  estimateSeconds(options: Options): number;
  /** The tool's own measured duration, when its output has one (backfills the task's timing). */
  measuredDurationMs?(output: CommandOutput, options: Options): number | undefined;
}
