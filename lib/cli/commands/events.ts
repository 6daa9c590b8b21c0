/**
 * `fleetbench events <runId>`: the run's CloudEvents, optionally followed live — from the engine's
 * events.jsonl locally, from the stack's run-event log group (FilterLogEvents) with `--target aws`.
 */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { eventsPath } from '../../adapters/local/jsonl-event-publisher.js';
import { type CloudEvent, EVENT_TYPES } from '../../core/cloudevents.js';
import { isTerminal } from '../../core/controller-state.js';
import { RunNotFoundError } from '../../core/errors.js';
import { type AwsBackend, addTargetOptions, withBackend } from '../backend.js';
import { dataDirOf, globalOptions, runIdArgument } from '../context.js';
import type { Io } from '../io.js';

const FOLLOW_POLL_MS = 200;
/**
 * The log group is written asynchronously: an event may land after a later one was read. Each read on aws
 * goes back this far behind the newest event seen, and events already printed are skipped by id.
 */
const LOG_DELIVERY_WINDOW_MS = 60_000;
/** Reads after the run ended, without a `run.finished` event, before `--follow` gives up on stragglers. */
const QUIET_READS_AFTER_END = 3;

type EventsOptions = { follow?: boolean; json?: boolean };

export function registerEventsCommand(program: Command, io: Io): void {
  addTargetOptions(
    program
      .command('events')
      .description("print a run's events (CloudEvents 1.0): state changes, task outcomes, stop requests")
      .argument('<runId>', 'the run', runIdArgument),
  )
    .option('--follow', 'keep printing new events until the run ends')
    .option('--json', 'one CloudEvent JSON object per line')
    .action(async (runId: string, opts: EventsOptions, command: Command) => {
      const options = globalOptions(command);
      const path = eventsPath(dataDirOf(io, options), runId);
      await withBackend(io, command, async (backend) => {
        if (backend.target === 'aws') return printAwsEvents(io, backend, runId, opts);
        const deps = backend.store;
        if (!(await deps.catalog.get(runId))) throw new RunNotFoundError(runId);
        let offset = 0;
        let rest = '';
        for (;;) {
          const chunk = await readFrom(path, offset);
          offset += chunk.length;
          const lines = (rest + chunk.toString('utf8')).split('\n');
          rest = lines.pop() ?? '';
          for (const line of lines.filter((l) => l.trim())) {
            io.out(opts.json ? `${line}\n` : `${describe(JSON.parse(line) as CloudEvent)}\n`);
          }
          if (!opts.follow) return;
          const entry = await deps.catalog.get(runId);
          if (entry && isTerminal(entry.state) && chunk.length === 0) return;
          await deps.clock.sleep(FOLLOW_POLL_MS);
        }
      });
    });
}

/** The run's events from the stack's log group; with `--follow`, until the run has ended and been told. */
async function printAwsEvents(
  io: Io,
  backend: AwsBackend,
  runId: string,
  opts: EventsOptions,
): Promise<void> {
  const { store, stack } = backend;
  if (!(await store.catalog.get(runId))) throw new RunNotFoundError(runId);
  const printed = new Set<string>();
  let newest: number | undefined;
  let finished = false;
  let quietAfterEnd = 0;
  for (;;) {
    const logged = await stack.eventLog.read(
      runId,
      newest === undefined ? {} : { since: newest - LOG_DELIVERY_WINDOW_MS },
    );
    const fresh = logged.filter((l) => !printed.has(l.event.id));
    for (const { timestamp, event } of fresh) {
      printed.add(event.id);
      newest = Math.max(newest ?? timestamp, timestamp);
      // A resume starts the run over from INIT: an earlier attempt's end does not count.
      if (event.type === EVENT_TYPES.runFinished) finished = true;
      else if (event.type === EVENT_TYPES.runStateChanged && event.data.to === 'INIT') finished = false;
      io.out(opts.json ? `${JSON.stringify(event)}\n` : `${describe(event)}\n`);
    }
    if (!opts.follow) return;
    const entry = await store.catalog.get(runId);
    if (entry && isTerminal(entry.state)) {
      // A run the reconciler failed publishes no run.finished: stop after a few reads bring nothing new.
      quietAfterEnd = fresh.length === 0 ? quietAfterEnd + 1 : 0;
      if (finished || quietAfterEnd >= QUIET_READS_AFTER_END) return;
    }
    await store.clock.sleep(backend.pollMs);
  }
}

async function readFrom(path: string, offset: number): Promise<Buffer> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return Buffer.alloc(0);
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

function describe(e: CloudEvent): string {
  const d = e.data as Record<string, unknown>;
  const what = e.type.replace('dev.fleetbench.', '');
  const detail =
    what === 'run.state.changed'
      ? `${String(d.from)} -> ${String(d.to)} (${String(d.reason)})`
      : what.startsWith('task.')
        ? `${String(d.key ?? e.subject)}${d.error ? `: ${String(d.error)}` : ''}`
        : JSON.stringify(d);
  return `${e.time}  ${what.padEnd(18)}  ${detail}`;
}
