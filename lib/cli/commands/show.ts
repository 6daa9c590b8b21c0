/**
 * `fleetbench show <runId>` (every task, the audit trail; with `--output <task>`, that task's stdout and
 * stderr, wherever the target kept them) and `fleetbench status <runId>` (the short form).
 */
import type { Command } from 'commander';
import { type ControllerState, isTerminal } from '../../core/controller-state.js';
import { UsageError } from '../../core/errors.js';
import { stderrRefOf } from '../../core/output-ref.js';
import { addTargetOptions, withBackend } from '../backend.js';
import { runIdArgument } from '../context.js';
import { exitCodeOf } from '../execute-run.js';
import { formatMs, formatNumber } from '../format.js';
import { CliExit, type Io } from '../io.js';
import { loadRunView, type RunView } from '../run-view.js';
import type { table as TableFn } from '../table.js';

export function stateLabel(io: Io, state: ControllerState): string {
  const style =
    state === 'FINISHED'
      ? 'green'
      : state === 'FAILED' || state === 'STOP_FAILED' || state === 'ABORTED'
        ? 'red'
        : 'cyan';
  return io.colours.out[style](state);
}

export function registerShowCommands(program: Command, io: Io): void {
  addTargetOptions(program.command('show'))
    .description(
      'show a run: its workloads with their options, every task with status, duration, metrics and error, and the controller-state audit trail',
    )
    .argument('<runId>', 'the run', runIdArgument)
    .option(
      '--json',
      'print {runId, name, state, counts, workloadSettings: [...], tasks: [...], states: [...]} as JSON',
    )
    .option(
      '--output <task>',
      "print a task's stdout (and its stderr on stderr); <task> is host::workload::rep",
    )
    .action(async (runId: string, opts: { json?: boolean; output?: string }, command: Command) => {
      if (opts.output !== undefined) {
        const task = opts.output;
        await withBackend(io, command, async ({ store }) => {
          const view = await loadRunView(store, runId);
          const found = view.tasks.find((t) => t.key === task);
          if (!found)
            throw new UsageError(`run ${runId} has no task ${task}`, {
              hint: `task keys are host::workload::rep, as \`fleetbench show ${runId}\` lists them`,
            });
          if (found.outputRef === null) {
            io.err(`${task} has no output recorded (it printed nothing, or never ran)\n`);
            return;
          }
          io.out(await store.outputs.read(found.outputRef));
          io.err(await store.outputs.read(stderrRefOf(found.outputRef)));
        });
        return;
      }
      const view = await withBackend(io, command, ({ store }) => loadRunView(store, runId));
      if (opts.json) io.out(`${JSON.stringify(view, null, 2)}\n`);
      // The tables measure text with string-width, loaded only when a table is printed.
      else printShow(io, view, (await import('../table.js')).table);
    });
  addTargetOptions(program.command('status'))
    .description('the state and task counts of a run')
    .argument('<runId>', 'the run', runIdArgument)
    .option('--json', 'print the same JSON shape as `show --json`')
    .action(async (runId: string, opts: { json?: boolean }, command: Command) => {
      const view = await withBackend(io, command, ({ store }) => loadRunView(store, runId));
      if (opts.json) io.out(`${JSON.stringify(view, null, 2)}\n`);
      else printHeader(io, view);
      // A run still going exits 0; an ended one exits as its `run` did (1 for FAILED, ABORTED or failed tasks).
      const code = isTerminal(view.state) ? exitCodeOf(view) : 0;
      if (code !== 0) throw new CliExit(code);
    });
}

function printHeader(io: Io, view: RunView): void {
  const c = view.counts;
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  io.out(
    `Run ${view.runId} (${view.name}) ${stateLabel(io, view.state)}${view.reason ? ` — ${view.reason}` : ''}\n` +
      `  tasks: ${c.completed}/${total} completed, ${c.failed} failed, ${c.running} running, ${c.pending} pending, ${c.skipped} skipped, ${c.cancelled} cancelled\n` +
      `  hosts: ${view.hosts.join(', ')}   attempt: ${view.attempt}   created: ${view.createdAt}${view.finishedAt ? `   finished: ${view.finishedAt}` : ''}\n`,
  );
  if (view.stopRequest)
    io.out(
      `  stop requested by ${view.stopRequest.requestedBy} at ${view.stopRequest.requestedAt}: ${view.stopRequest.reason}\n`,
    );
  for (const e of view.excludedHosts) io.out(`  excluded ${e.host}: ${e.reason}\n`);
}

/** How an option reads in one line: plain words and numbers as they are, the rest (spaces, lists) as JSON. */
function optionText(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && /^[^\s"'=]+$/.test(value)) return value;
  return JSON.stringify(value);
}

/** Each workload the run runs — a matrix's variants one by one — with its repetitions and options. */
function printWorkloads(io: Io, view: RunView, table: typeof TableFn): void {
  io.out('Workloads:\n');
  io.out(
    table(
      ['WORKLOAD', 'PLUGIN', 'REPS', 'WARM-UP', 'OPTIONS'],
      view.workloadSettings.map((w) => [
        w.name,
        w.plugin,
        String(w.repetitions),
        String(w.warmup),
        Object.entries(w.options)
          .map(([name, value]) => `${name}=${optionText(value)}`)
          .join(' ') || '-',
      ]),
    ),
  );
  io.out('\n');
}

function printShow(io: Io, view: RunView, table: typeof TableFn): void {
  printHeader(io, view);
  io.out('\n');
  printWorkloads(io, view, table);
  io.out(
    table(
      ['TASK', 'STATUS', 'DURATION', 'EXIT', 'METRICS', 'ERROR'],
      view.tasks.map((t) => [
        // Warm-ups are journaled and shown like any task, marked: the statistics leave them out.
        t.warmup ? `${t.key} (warm-up)` : t.key,
        t.status === 'COMPLETED'
          ? io.colours.out.green(t.status)
          : t.status === 'FAILED'
            ? io.colours.out.red(t.status)
            : t.status,
        formatMs(t.durationMs ?? undefined),
        t.exitCode === null ? '-' : String(t.exitCode),
        Object.entries(t.metrics)
          .map(([name, m]) => `${name}=${formatNumber(m.value)}${m.unit ? ` ${m.unit}` : ''}`)
          .join(', ') || '-',
        t.error ?? '',
      ]),
    ),
  );
  io.out('\nController states:\n');
  io.out(
    table(
      ['AT', 'FROM', 'TO', 'REASON'],
      view.states.map((s) => [s.at, s.from ?? '-', s.to, s.reason]),
    ),
  );
  const refs = view.tasks.map((t) => t.outputRef).filter((r): r is string => r !== null);
  if (refs.length === 0) return;
  // Local outputs are files; on aws they are kept in the journal, those too long for SSM copied to S3.
  const files = refs.find((r) => !r.startsWith('journal:'));
  if (files)
    io.out(
      `\nRaw outputs (stdout and stderr of every command): ${files.replace(/\/outputs\/.*$/, '/outputs/')}\n`,
    );
  io.out(`${files ? '' : '\n'}A task's output: fleetbench show ${view.runId} --output <task>\n`);
}
