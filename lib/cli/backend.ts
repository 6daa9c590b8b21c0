/**
 * Where a command finds its runs: the embedded engine (`--target local`, the default) or a deployed stack
 * (`--target aws`). Both give the same read side — the journal and the catalog through the ports, as
 * `store` — so `runs`, `show` and `status` print the same thing on either target; a command that acts on a
 * run (run, resume, stop, events) branches on `backend.target` for what only one target can do.
 *
 * On aws, region, profile and credentials come from the standard AWS environment (AWS_REGION, AWS_PROFILE,
 * ~/.aws/config, …); `--stack` names the stack (default Fleetbench, as `cdk deploy` names it).
 */
import type { Command } from 'commander';
import type { DeployedStack } from '../adapters/aws/deployed-stack.js';
import { DEFAULT_STACK_NAME } from '../adapters/aws/stack-name.js';
import { systemClock } from '../adapters/system-clock.js';
import { UsageError } from '../core/errors.js';
import type { Deps, Logger } from '../core/ports.js';
import type { Target } from '../core/run.js';
import type { LocalEngine } from '../engine/local-engine.js';
import { type GlobalOptions, withEngine } from './context.js';
import type { Io } from './io.js';

/** The read side of either target: runs, tasks, the audit trail, the hosts' outputs. */
export type RunStore = Pick<Deps, 'journal' | 'catalog' | 'clock' | 'outputs'>;

export type LocalBackend = {
  readonly target: 'local';
  readonly store: RunStore;
  readonly engine: LocalEngine;
};

export type AwsBackend = {
  readonly target: 'aws';
  readonly store: RunStore;
  readonly stack: DeployedStack;
  /** How often a command following a run re-reads the journal (env FLEETBENCH_POLL_MS). */
  readonly pollMs: number;
};

export type Backend = LocalBackend | AwsBackend;

export type TargetOptions = { target?: string; stack?: string };

/** The aws target re-reads the journal this often while following a run. */
export const DEFAULT_POLL_MS = 2_000;

/**
 * Adds `--target` and `--stack` to a command.
 * @example
 * addTargetOptions(program.command('show').argument('<runId>')).action(...);
 */
export function addTargetOptions(command: Command): Command {
  return command
    .option(
      '--target <target>',
      'local (the embedded engine, the default) or aws (the deployed stack); env FLEETBENCH_TARGET',
    )
    .option(
      '--stack <name>',
      `the stack of --target aws (default ${DEFAULT_STACK_NAME}); env FLEETBENCH_STACK`,
    );
}

/** `--target`, else $FLEETBENCH_TARGET, else local. */
export function targetOf(io: Io, options: TargetOptions): Target {
  const target = options.target ?? io.env.FLEETBENCH_TARGET ?? 'local';
  if (target !== 'local' && target !== 'aws') {
    throw new UsageError(`unknown target "${target}"`, { hint: 'use --target local or --target aws' });
  }
  return target;
}

/**
 * Runs `fn` with the backend the command's options name, and releases it afterwards (the local engine's
 * database, the AWS clients).
 * @example
 * const view = await withBackend(io, command, ({ store }) => loadRunView(store, runId));
 */
export async function withBackend<T>(
  io: Io,
  command: Command,
  fn: (backend: Backend) => Promise<T>,
): Promise<T> {
  const options = command.optsWithGlobals<GlobalOptions & TargetOptions>();
  if (targetOf(io, options) === 'local') {
    return withEngine(io, options, (engine) => fn({ target: 'local', store: engine.deps, engine }));
  }
  const pollMs = pollMsOf(io);
  // The AWS SDK is loaded by the commands that reach a stack only.
  const { connectStack } = await import('../adapters/aws/deployed-stack.js');
  const stack = await connectStack({ ...awsLocation(io, options.stack), logger: stderrLogger(io) });
  try {
    const store: RunStore = {
      journal: stack.journal,
      catalog: stack.catalog,
      clock: systemClock,
      outputs: stack.taskOutputs,
    };
    return await fn({ target: 'aws', store, stack, pollMs });
  } finally {
    stack.close();
  }
}

/**
 * The stack and region an aws command talks to: the `--stack` option, else FLEETBENCH_STACK, else the
 * default name; the region as the AWS CLI reads it from the environment (unset: the SDK's profile chain).
 * @example
 * connectStack(awsLocation(io, options.stack)); // { stackName: 'Fleetbench', region: 'eu-west-1' }
 */
export function awsLocation(io: Io, stack: string | undefined): { stackName: string; region?: string } {
  const region = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  return {
    stackName: stack ?? io.env.FLEETBENCH_STACK ?? DEFAULT_STACK_NAME,
    ...(region ? { region } : {}),
  };
}

/** What the CLI's own AWS adapters report (an event the bus kept refusing): a warning line on stderr. */
function stderrLogger(io: Io): Logger {
  const line = (message: string, fields?: Record<string, unknown>) =>
    io.err(`warning: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  return { info: () => {}, warn: line, error: line };
}

function pollMsOf(io: Io): number {
  const value = io.env.FLEETBENCH_POLL_MS;
  if (value === undefined || value === '') return DEFAULT_POLL_MS;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1) {
    throw new UsageError(`FLEETBENCH_POLL_MS must be a positive integer (milliseconds), got "${value}"`);
  }
  return ms;
}
