/**
 * `fleetbench rm <runId>… [--older-than 30d] [--purge]`: removes runs that have ended from the catalog
 * (lib/app/remove-runs.ts) — locally through the engine's database like every command, so another engine
 * serving the same data directory keeps running its runs; with `--target aws` through the CLI's AWS
 * clients. `--purge` deletes the journal, events and outputs too. A run still going on is refused with the
 * command that stops it, and then nothing is removed.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { LocalRunArtifacts } from '../../adapters/local/local-run-artifacts.js';
import { type RemovedRun, type RemoveRunsDeps, removeRuns, runsEndedBefore } from '../../app/remove-runs.js';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import type { Target } from '../../core/run.js';
import { assertRunId } from '../../core/task-key.js';
import { addTargetOptions, type Backend, targetOf, withBackend } from '../backend.js';
import { dataDirOf, type GlobalOptions } from '../context.js';
import type { Io } from '../io.js';

type RmOptions = { olderThan?: string; purge?: boolean; json?: boolean };

export function registerRmCommand(program: Command, io: Io): void {
  addTargetOptions(
    program
      .command('rm')
      .description(
        'remove runs that have ended from the catalog; --purge also deletes their journal, events and outputs',
      )
      .argument('[runIds...]', 'the runs to remove (or select them with --older-than)'),
  )
    .option('--older-than <duration>', 'every run that ended longer ago than this, e.g. 30d or 12h')
    .option('--purge', 'also delete the journal, the events and the outputs (local files; S3 objects on aws)')
    .option('--json', 'print [{runId, state, purged, journalItems, files}] as JSON')
    .action(async (runIds: string[], opts: RmOptions, command: Command) => {
      for (const runId of runIds) assertRunId(runId);
      const ageSeconds = olderThanOf(opts, runIds);
      const by = `cli:${userInfo().username}`;
      const removed = await withBackend(io, command, async (backend) => {
        const deps = removeDeps(io, command, backend);
        const ids =
          ageSeconds === undefined
            ? runIds
            : await runsEndedBefore(deps, new Date(deps.clock.now().getTime() - ageSeconds * 1000));
        return removeRuns(deps, { runIds: ids, purge: opts.purge === true, by });
      });
      if (opts.json) io.out(`${JSON.stringify(removed, null, 2)}\n`);
      else if (removed.length === 0 && ageSeconds !== undefined)
        io.out(`No run ended more than ${formatDuration(ageSeconds)} ago; nothing removed.\n`);
      else for (const run of removed) io.out(`${describe(run, targetOf(io, command.opts()))}\n`);
    });
}

/** Run ids or `--older-than`, exactly one of them. */
function olderThanOf(opts: RmOptions, runIds: readonly string[]): number | undefined {
  if (opts.olderThan === undefined) {
    if (runIds.length === 0)
      throw new UsageError('rm needs the run ids to remove, or --older-than', {
        hint: 'e.g. `fleetbench rm <runId>` or `fleetbench rm --older-than 30d`; list runs with `fleetbench runs`',
      });
    return undefined;
  }
  if (runIds.length > 0)
    throw new UsageError('rm takes run ids or --older-than, not both', {
      hint: 'leave out the ids to remove every run that ended before the age, or leave out --older-than',
    });
  let seconds: number;
  try {
    seconds = parseDuration(opts.olderThan, '--older-than');
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: 'e.g. --older-than 30d', cause: error });
  }
  if (seconds <= 0)
    throw new UsageError('--older-than must be longer than 0', { hint: 'e.g. --older-than 30d' });
  return seconds;
}

function removeDeps(io: Io, command: Command, backend: Backend): RemoveRunsDeps {
  if (backend.target === 'aws') {
    const { stack, store } = backend;
    return { ...store, events: stack.events, artifacts: stack.artifacts, target: 'aws' };
  }
  const dataDir = dataDirOf(io, command.optsWithGlobals<GlobalOptions>());
  const { deps } = backend.engine;
  return { ...deps, artifacts: new LocalRunArtifacts(dataDir) };
}

function describe(run: RemovedRun, target: Target): string {
  const ended = run.state === null ? 'already out of the catalog' : run.state;
  if (!run.purged)
    return `Removed run ${run.runId} (${ended}) from the catalog; its journal, events and outputs are kept (delete them with --purge).`;
  const files = target === 'aws' ? 'output objects' : 'files';
  return `Purged run ${run.runId} (${ended}): ${run.journalItems} journal items and ${run.files} ${files} deleted.`;
}
