import { describe, expect, it } from 'vitest';
import { CONTROLLER_STATES, type ControllerState, isTerminal } from '../../lib/core/controller-state.js';
import { assertDiscardable, endedBefore } from '../../lib/core/discard-rule.js';
import { RunNotFoundError, RunStateError, UsageError } from '../../lib/core/errors.js';
import type { CatalogEntry } from '../../lib/core/run.js';
import { emptyCounts } from '../../lib/core/task-state.js';

const entry = (state: ControllerState, finishedAt?: string): CatalogEntry => ({
  runId: 'r1',
  name: 'demo',
  state,
  target: 'local',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  hosts: ['h1'],
  workloads: ['cpu'],
  counts: emptyCounts(),
  ...(finishedAt ? { finishedAt } : {}),
});

const refusal = (attempt: () => void): { error: unknown } => {
  try {
    attempt();
  } catch (error) {
    return { error };
  }
  return { error: undefined };
};

describe('Function: assertDiscardable', () => {
  it.each(CONTROLLER_STATES.filter(isTerminal))('lets a run that ended %s be removed', (state) => {
    expect(() =>
      assertDiscardable(
        { runId: 'r1', entry: entry(state), leftovers: true },
        { purge: false, target: 'local' },
      ),
    ).not.toThrow();
  });

  it.each([
    ['local', 'stop it first with `fleetbench stop r1`, then remove it'],
    ['aws', 'stop it first with `fleetbench stop r1 --target aws`, then remove it'],
  ] as const)('refuses a run going on with the command that stops it (%s)', (target, hint) => {
    // Act
    const { error } = refusal(() =>
      assertDiscardable(
        { runId: 'r1', entry: entry('RUNNING_WORKLOADS'), leftovers: true },
        { purge: true, target },
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(RunStateError);
    expect((error as RunStateError).message).toBe(
      'run r1 is still RUNNING_WORKLOADS: only a run that has ended can be removed',
    );
    expect((error as RunStateError).hint).toBe(hint);
    expect((error as RunStateError).exitCode).toBe(2);
  });

  it.each(CONTROLLER_STATES.filter((s) => !isTerminal(s)))('refuses a run in %s', (state) => {
    const { error } = refusal(() =>
      assertDiscardable(
        { runId: 'r1', entry: entry(state), leftovers: true },
        { purge: true, target: 'local' },
      ),
    );

    expect(error).toBeInstanceOf(RunStateError);
  });

  it('refuses an id nothing is known of with RunNotFoundError', () => {
    const { error } = refusal(() =>
      assertDiscardable(
        { runId: 'r1', entry: undefined, leftovers: false },
        { purge: true, target: 'local' },
      ),
    );

    expect(error).toBeInstanceOf(RunNotFoundError);
  });

  it('lets a purge finish what an earlier removal left', () => {
    expect(() =>
      assertDiscardable({ runId: 'r1', entry: undefined, leftovers: true }, { purge: true, target: 'local' }),
    ).not.toThrow();
  });

  it('refuses to remove an already removed run again without --purge, naming the purge', () => {
    // Act
    const { error } = refusal(() =>
      assertDiscardable({ runId: 'r1', entry: undefined, leftovers: true }, { purge: false, target: 'aws' }),
    );

    // Assess
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).hint).toBe('delete them with `fleetbench rm r1 --purge --target aws`');
  });
});

describe('Function: endedBefore', () => {
  const cutoff = new Date('2026-02-01T00:00:00.000Z');

  it.each([
    ['finished before the cutoff', entry('FINISHED', '2026-01-31T23:59:59.999Z'), true],
    ['finished at the cutoff', entry('FINISHED', '2026-02-01T00:00:00.000Z'), false],
    ['finished after the cutoff (a resumed old run)', entry('FAILED', '2026-02-03T00:00:00.000Z'), false],
    ['ended without a finish time, updated before the cutoff', entry('ABORTED'), true],
    ['going on, created long before the cutoff', entry('RUNNING_WORKLOADS'), false],
  ])('a run %s: %s', (_case, run, expected) => {
    expect(endedBefore(run, cutoff)).toBe(expected);
  });
});
