import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { coloursFor, NO_COLOURS } from '../../lib/cli/colour.js';
import { CliExit, type Io } from '../../lib/cli/io.js';
import { DEFAULT_HEARTBEAT_MS, Progress, progressIntervalMs } from '../../lib/cli/progress.js';
import type { CloudEvent } from '../../lib/core/cloudevents.js';
import { UsageError } from '../../lib/core/errors.js';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');
const completed = { type: 'dev.fleetbench.task.completed' } as CloudEvent;

/** An Io that records what goes to stderr, and when; `columns` set makes stderr a terminal that wide. */
function fakeIo(columns?: { value: number }) {
  const writes: { at: number; text: string }[] = [];
  const io: Io = {
    out: () => undefined,
    err: (text) => {
      writes.push({ at: Date.now(), text });
    },
    colours: { out: NO_COLOURS, err: columns ? coloursFor({ isTTY: true }, {}) : NO_COLOURS },
    terminal: columns ? { columns: () => columns.value } : undefined,
    env: {},
    cwd: '/',
    onInterrupt: () => () => undefined,
    onTerminate: () => () => undefined,
    exit: (code) => {
      throw new CliExit(code);
    },
  };
  /** The lines a pipe received. */
  const lines = () => writes.flatMap((w) => w.text.split('\n').filter(Boolean));
  /** The last state of the terminal line, without escape codes. */
  const screen = () => (writes.at(-1)?.text ?? '').replace(ANSI, '').replace('\r', '');
  return { io, writes, lines, screen };
}

describe('Class: Progress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('Without a terminal', () => {
    it('prints a line at least every 30 s during a long step, with done/total, the step and the elapsed time', () => {
      const { io, writes, lines } = fakeIo();
      const progress = new Progress(io);
      progress.setTotal(12, 3);
      progress.setPhase('disk rep 2');

      vi.advanceTimersByTime(95_000);
      progress.stop();

      expect(lines()).toEqual([
        '[0ms] planning — 3/12 tasks',
        '[0ms] disk rep 2 — 3/12 tasks',
        '[30.0s] disk rep 2 — 3/12 tasks (this step for 30.0s)',
        '[1m00s] disk rep 2 — 3/12 tasks (this step for 1m00s)',
        '[1m30s] disk rep 2 — 3/12 tasks (this step for 1m30s)',
      ]);
      const gaps = writes.slice(1).map((w, i) => w.at - (writes[i]?.at ?? 0));
      expect(Math.max(...gaps)).toBeLessThanOrEqual(DEFAULT_HEARTBEAT_MS);
    });

    it('counts the interval from the last line printed, so no silence is longer than it', () => {
      const { io, writes } = fakeIo();
      const progress = new Progress(io, { heartbeatMs: 10_000 });
      progress.setTotal(4);
      vi.advanceTimersByTime(7_000);
      progress.setPhase('cpu rep 1');
      vi.advanceTimersByTime(7_000);
      progress.note('a warning');

      vi.advanceTimersByTime(25_000);
      progress.stop();

      expect(writes.map((w) => w.at - Date.parse('2026-01-01T00:00:00Z'))).toEqual([
        0, 7_000, 14_000, 24_000, 34_000,
      ]);
    });

    it('gives an ETA in its heartbeat once tasks have finished at this pace', () => {
      const { io, lines } = fakeIo();
      const progress = new Progress(io, { heartbeatMs: 20_000 });
      progress.setTotal(10);
      vi.advanceTimersByTime(10_000);
      for (let i = 0; i < 5; i++) progress.onEvent(completed);

      vi.advanceTimersByTime(10_000);
      progress.stop();

      expect(lines().at(-1)).toBe('[20.0s] planning — 5/10 tasks (this step for 20.0s, ETA 20.0s)');
    });

    it('prints nothing once stopped', () => {
      const { io, writes } = fakeIo();
      const progress = new Progress(io);
      progress.setTotal(1);
      progress.stop();

      vi.advanceTimersByTime(10 * DEFAULT_HEARTBEAT_MS);

      expect(writes).toHaveLength(1);
    });
  });

  describe('On a terminal', () => {
    it('draws a bar with done/total, the step, the elapsed time and an ETA', () => {
      const { io, screen } = fakeIo({ value: 80 });
      const progress = new Progress(io);
      progress.setTotal(10);
      progress.setPhase('disk rep 1');
      vi.advanceTimersByTime(10_000);

      for (let i = 0; i < 5; i++) progress.onEvent(completed);
      vi.advanceTimersByTime(1_000);

      expect(screen()).toMatch(/^█{15}░{15} 5\/10 {2}disk rep 1 {2}11\.0s {2}ETA 11\.0s$/);
      progress.stop();
    });

    it('fits the width of the terminal as it is at each redraw', () => {
      const columns = { value: 60 };
      const { io, screen } = fakeIo(columns);
      const progress = new Progress(io);
      progress.setTotal(1000);
      progress.setPhase('a-long-workload-name rep 120');

      for (const width of [60, 45, 120, 30, 12]) {
        columns.value = width;
        vi.advanceTimersByTime(1_000);
        expect(screen().length).toBeLessThan(width);
        expect(screen()).toMatch(/0\/1000/);
      }
      progress.stop();
    });

    it('gives up the bar first, then the name of the step, on a narrow terminal', () => {
      const columns = { value: 40 };
      const { io, screen } = fakeIo(columns);
      const progress = new Progress(io);
      progress.setTotal(10);
      progress.setPhase('disk-write rep 2');

      vi.advanceTimersByTime(1_000);
      const narrow = screen();
      columns.value = 24;
      vi.advanceTimersByTime(1_000);
      const narrower = screen();
      progress.stop();

      expect(narrow).toBe('0/10  disk-write rep 2  1.00s');
      expect(narrower).toBe('0/10  disk-writ…  2.00s');
    });
  });
});

describe('Function: progressIntervalMs', () => {
  it.each([
    [{}, 30_000],
    [{ FLEETBENCH_PROGRESS_INTERVAL: '200ms' }, 200],
    [{ FLEETBENCH_PROGRESS_INTERVAL: '2m' }, 120_000],
  ])('reads %j as %d ms', (env, ms) => {
    expect(progressIntervalMs(env)).toBe(ms);
  });

  it.each(['soon', '0s'])('refuses %j as a usage error', (value) => {
    expect(() => progressIntervalMs({ FLEETBENCH_PROGRESS_INTERVAL: value })).toThrow(UsageError);
  });
});
