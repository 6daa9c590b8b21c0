/**
 * The live progress line of `run` and `resume`: a bar with done/failed/total, the current phase and the
 * elapsed time, redrawn in place on a terminal; on a pipe or in CI, one plain line per phase instead.
 */
import type { CloudEvent } from '../core/cloudevents.js';
import { formatMs } from './format.js';
import type { Io } from './io.js';

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export class Progress {
  private done = 0;
  private failed = 0;
  private cancelled = 0;
  private phase = 'planning';
  private lastDraw = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private drawn = false;
  /** Nothing is shown before the run id is printed. */
  private shown = false;

  constructor(
    private readonly io: Io,
    private total = 0,
  ) {
    if (io.terminal) this.timer = setInterval(() => this.draw(true), 1000);
  }

  setTotal(total: number, alreadyDone = 0): void {
    this.total = total;
    this.done = alreadyDone;
    this.shown = true;
    if (!(this.io.terminal !== undefined)) this.io.err(`${this.summary()}\n`);
    this.draw(true);
  }

  setPhase(phase: string): void {
    if (phase === this.phase) return;
    this.phase = phase;
    if (!(this.io.terminal !== undefined) && this.shown) this.io.err(`${this.summary()}\n`);
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
    this.draw(true);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private summary(): string {
    const failed =
      (this.failed > 0 ? `, ${this.failed} failed` : '') +
      (this.cancelled > 0 ? `, ${this.cancelled} cancelled` : '');
    return `[${formatMs(Date.now() - this.startedAt)}] ${this.phase} — ${this.done}/${this.total} tasks${failed}`;
  }

  private clear(): void {
    if (this.io.terminal !== undefined && this.drawn) this.io.err('\r\u001b[2K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    if (!(this.io.terminal !== undefined) || !this.shown) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const ratio = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar =
      this.io.colours.err.green('█'.repeat(filled)) + this.io.colours.err.dim('░'.repeat(BAR_WIDTH - filled));
    const failed =
      (this.failed > 0 ? this.io.colours.err.red(` ${this.failed} failed`) : '') +
      (this.cancelled > 0 ? this.io.colours.err.yellow(` ${this.cancelled} cancelled`) : '');
    const line = `${bar} ${this.done}/${this.total}${failed}  ${this.phase}  ${formatMs(now - this.startedAt)}`;
    this.io.err(`\r\u001b[2K${line}`);
    this.drawn = true;
  }
}
