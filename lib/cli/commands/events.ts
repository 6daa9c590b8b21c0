/** `fleetbench events <runId>`: the run's CloudEvents, optionally followed live. */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { eventsPath } from '../../adapters/local/jsonl-event-publisher.js';
import type { CloudEvent } from '../../core/cloudevents.js';
import { isTerminal } from '../../core/controller-state.js';
import { RunNotFoundError } from '../../core/errors.js';
import { dataDirOf, globalOptions, runIdArgument, withEngine } from '../context.js';
import type { Io } from '../io.js';

const FOLLOW_POLL_MS = 200;

export function registerEventsCommand(program: Command, io: Io): void {
  program
    .command('events')
    .description("print a run's events (CloudEvents 1.0): state changes, task outcomes, stop requests")
    .argument('<runId>', 'the run', runIdArgument)
    .option('--follow', 'keep printing new events until the run ends')
    .option('--json', 'one CloudEvent JSON object per line')
    .action(async (runId: string, opts: { follow?: boolean; json?: boolean }, command: Command) => {
      const options = globalOptions(command);
      const path = eventsPath(dataDirOf(io, options), runId);
      await withEngine(io, options, async ({ deps }) => {
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
