import { describe, expect, it } from 'vitest';
import type { ControllerState } from '../../lib/core/controller-state.js';
import { RunNotFoundError, RunStateError } from '../../lib/core/errors.js';
import type { CatalogEntry } from '../../lib/core/run.js';
import { assertStoppable, replacesStopRequest } from '../../lib/core/stop-rule.js';
import { emptyCounts } from '../../lib/core/task-state.js';

const entry = (state: ControllerState): CatalogEntry => ({
  runId: 'r1',
  name: 'demo',
  state,
  target: 'local',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  hosts: ['h1'],
  workloads: ['cpu'],
  counts: emptyCounts(),
});

describe('Function: replacesStopRequest', () => {
  it.each([
    [undefined, false, true],
    [undefined, true, true],
    [false, true, true],
    [false, false, false],
    [true, false, false],
    [true, true, false],
  ] as const)('with a previous force %s, a request with force %s replaces it: %s', (previous, force, replaces) => {
    expect(replacesStopRequest(previous === undefined ? undefined : { force: previous }, { force })).toBe(
      replaces,
    );
  });
});

describe('Function: assertStoppable', () => {
  it('lets a run that has not ended be stopped', () => {
    expect(() => assertStoppable('r1', entry('RUNNING_WORKLOADS'), 'local')).not.toThrow();
  });

  it('refuses a missing run with RunNotFoundError', () => {
    expect(() => assertStoppable('r1', undefined, 'local')).toThrow(RunNotFoundError);
  });

  it.each([
    ['local', 'see it with `fleetbench show r1`'],
    ['aws', 'see it with `fleetbench show r1 --target aws`'],
  ] as const)('refuses an ended run with RunStateError and a hint for %s', (target, hint) => {
    // Act
    const attempt = () => assertStoppable('r1', entry('FINISHED'), target);

    // Assess
    expect(attempt).toThrow(RunStateError);
    expect(attempt).toThrow('run r1 already ended FINISHED: nothing to stop');
    try {
      attempt();
    } catch (error) {
      expect((error as RunStateError).hint).toBe(hint);
    }
  });
});
