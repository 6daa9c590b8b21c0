/**
 * The progress of `run` and `resume`, on stderr. On a terminal: one line redrawn in place — a bar,
 * done/failed/total, the current step, the elapsed time and an ETA — as wide as the terminal is at each
 * redraw, so it never wraps (a wrapped line cannot be redrawn). On a pipe or in CI: one plain line when the
 * run starts and at each step, and a heartbeat line whenever nothing was printed for a while (30 s, or
 * FLEETBENCH_PROGRESS_INTERVAL), so a CI system that kills silent jobs does not kill a long repetition.
 */
import type { CloudEvent } from '../core/cloudevents.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { formatMs } from './format.js';
import type { Io } from './io.js';

/** At most this long without a progress line on a pipe. */
export const DEFAULT_HEARTBEAT_MS = 30_000;
const REDRAW_MS = 100;
const TICK_MS = 1000;
const MAX_BAR_WIDTH = 30;
const MIN_BAR_WIDTH = 10;

const ANSI_SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const visibleLength = (text: string) => text.replace(ANSI_SGR, '').length;

/**
 * The heartbeat interval of progress on a pipe: FLEETBENCH_PROGRESS_INTERVAL (a duration), else 30 s.
 * @throws UsageError for a value that is not a duration longer than 0s
 * @example
 * progressIntervalMs({ FLEETBENCH_PROGRESS_INTERVAL: '10s' }); // 10000
 */
export function progressIntervalMs(env: Io['env']): number {
  const value = env.FLEETBENCH_PROGRESS_INTERVAL;
  if (value === undefined || value === '') return DEFAULT_HEARTBEAT_MS;
  let seconds: number;
  try {
    seconds = parseDuration(value, 'FLEETBENCH_PROGRESS_INTERVAL');
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: 'e.g. FLEETBENCH_PROGRESS_INTERVAL=30s' });
  }
  if (seconds <= 0)
    throw new UsageError('FLEETBENCH_PROGRESS_INTERVAL must be longer than 0s', {
      hint: 'e.g. FLEETBENCH_PROGRESS_INTERVAL=30s',
    });
  return Math.round(seconds * 1000);
}

export type ProgressOptions = {
  /** At most this long without a line on a pipe (progressIntervalMs). */
  readonly heartbeatMs?: number;
};

export class Progress {
  private done = 0;
  private failed = 0;
  private cancelled = 0;
  /** Tasks already done when the run (or its resume) started here: they do not count towards the ETA. */
  private doneBefore = 0;
  private total: number | undefined;
  private phase = 'planning';
  private readonly startedAt = Date.now();
  private phaseStartedAt = this.startedAt;
  private tasksStartedAt = this.startedAt;
  private lastDraw = 0;
  private drawn = false;
  /** Nothing is shown before the run id is printed. */
  private shown = false;
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;

  constructor(
    private readonly io: Io,
    options: ProgressOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (io.terminal) this.ticker = setInterval(() => this.draw(true), TICK_MS);
  }

  /**
   * The run id is printed: progress shows from now on, although the task count may come later (on a pipe,
   * the first line is then a heartbeat).
   */
  show(): void {
    if (this.shown || this.stopped) return;
    this.shown = true;
    if (!this.io.terminal) this.armHeartbeat();
    this.draw(true);
  }

  setTotal(total: number, alreadyDone = 0): void {
    this.total = total;
    this.done = alreadyDone;
    this.doneBefore = alreadyDone;
    this.tasksStartedAt = Date.now();
    this.shown = !this.stopped;
    this.line();
    this.draw(true);
  }

  setPhase(phase: string): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.phaseStartedAt = Date.now();
    this.line();
    this.draw(true);
  }

  /** Counts finished tasks from the run's CloudEvents. */
  onEvent(event: CloudEvent): void {
    if (event.type === 'dev.fleetbench.task.completed') this.done += 1;
    else if (event.type === 'dev.fleetbench.task.failed') {
      this.done += 1;
      this.failed += 1;
    } else if (event.type === 'dev.fleetbench.task.cancelled') this.cancelled += 1;
    else return;
    this.draw(false);
  }

  /** Sets the counts read from the journal, for a run followed by polling (the aws target) instead of events. */
  setCounts(counts: { readonly done: number; readonly failed: number; readonly cancelled: number }): void {
    if (counts.done === this.done && counts.failed === this.failed && counts.cancelled === this.cancelled)
      return;
    this.done = counts.done;
    this.failed = counts.failed;
    this.cancelled = counts.cancelled;
    this.draw(false);
  }

  /** Prints a message above the bar without garbling it. */
  note(text: string): void {
    this.clear();
    this.io.err(`${text}\n`);
    if (!this.io.terminal) this.armHeartbeat();
    this.draw(true);
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.clear();
  }

  private counts(): string {
    return `${this.done}/${this.total ?? '?'}`;
  }

  /** Seconds left at the pace of the tasks finished here so far; undefined before the first or when stopping. */
  private etaMs(now: number): number | undefined {
    const finishedHere = this.done - this.doneBefore;
    if (this.total === undefined || finishedHere <= 0 || this.phase === 'stopping') return undefined;
    const remaining = Math.max(0, this.total - this.done - this.cancelled);
    return ((now - this.tasksStartedAt) / finishedHere) * remaining;
  }

  /** The plain line of a pipe: `[elapsed] step — done/total tasks, …`. */
  private summary(now: number, heartbeat: boolean): string {
    const failed =
      (this.failed > 0 ? `, ${this.failed} failed` : '') +
      (this.cancelled > 0 ? `, ${this.cancelled} cancelled` : '');
    const eta = this.etaMs(now);
    const still = heartbeat
      ? ` (this step for ${formatMs(now - this.phaseStartedAt)}${eta === undefined ? '' : `, ETA ${formatMs(eta)}`})`
      : '';
    return `[${formatMs(now - this.startedAt)}] ${this.phase} — ${this.counts()} tasks${failed}${still}`;
  }

  /** On a pipe: one line now, and the heartbeat re-armed from it. */
  private line(): void {
    if (this.io.terminal || !this.shown || this.stopped) return;
    this.io.err(`${this.summary(Date.now(), false)}\n`);
    this.armHeartbeat();
  }

  private armHeartbeat(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat);
    if (this.stopped || !this.shown) return;
    this.heartbeat = setTimeout(() => {
      this.io.err(`${this.summary(Date.now(), true)}\n`);
      this.armHeartbeat();
    }, this.heartbeatMs);
    // A heartbeat never keeps the process alive by itself.
    this.heartbeat.unref?.();
  }

  private clear(): void {
    if (this.io.terminal && this.drawn) this.io.err('\r\u001b[2K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    const { terminal } = this.io;
    if (!terminal || !this.shown || this.stopped) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.io.err(`\r\u001b[2K${this.barLine(now, terminal.columns())}`);
    this.drawn = true;
  }

  /** The terminal line, shorter than `columns` (the last column would wrap on some terminals). */
  private barLine(now: number, columns: number): string {
    const colours = this.io.colours.err;
    const width = Math.max(1, columns - 1);
    const eta = this.etaMs(now);
    const failed =
      (this.failed > 0 ? colours.red(` ${this.failed} failed`) : '') +
      (this.cancelled > 0 ? colours.yellow(` ${this.cancelled} cancelled`) : '');
    const tail = `  ${formatMs(now - this.startedAt)}${eta === undefined ? '' : `  ETA ${formatMs(eta)}`}`;
    let phase = this.phase;
    const rest = () => `${this.counts()}${failed}  ${phase}${tail}`;
    const barWidth = Math.min(MAX_BAR_WIDTH, width - visibleLength(rest()) - 1);
    if (barWidth >= MIN_BAR_WIDTH) {
      const ratio = this.total ? Math.min(1, this.done / this.total) : 0;
      const filled = Math.round(ratio * barWidth);
      const bar = colours.green('█'.repeat(filled)) + colours.dim('░'.repeat(barWidth - filled));
      return `${bar} ${rest()}`;
    }
    // Too narrow for a bar: the step's name gives way first, then whatever is left is cut.
    const over = visibleLength(rest()) - width;
    if (over > 0) phase = phase.length > over + 1 ? `${phase.slice(0, phase.length - over - 1)}…` : '';
    const line = rest();
    return visibleLength(line) <= width ? line : line.replace(ANSI_SGR, '').slice(0, width);
  }
}
