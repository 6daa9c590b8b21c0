import { describe, expect, it } from 'vitest';
import { FleetbenchError } from '../../lib/core/errors.js';
import {
  canHostTransition,
  HOST_STATES,
  HOST_TRANSITIONS,
  HostCapacityError,
  HostProvisioningError,
  type HostState,
  IllegalHostTransitionError,
  isHostGone,
  planHostMove,
  transitionHost,
} from '../../lib/core/host-lifecycle.js';

const pairs = HOST_STATES.flatMap((from) => HOST_STATES.map((to) => [from, to] as const));
const allowed = pairs.filter(([from, to]) => HOST_TRANSITIONS[from].includes(to));
const illegal = pairs.filter(([from, to]) => !HOST_TRANSITIONS[from].includes(to));

/** Every state a host can reach from `from`. */
function reachable(from: HostState): Set<HostState> {
  const seen = new Set<HostState>([from]);
  const queue: HostState[] = [from];
  while (queue.length > 0) {
    for (const next of HOST_TRANSITIONS[queue.shift() as HostState]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe('Function: transitionHost', () => {
  it.each(allowed)('moves from %s to %s', (from, to) => {
    expect(transitionHost(from, to)).toBe(to);
    expect(canHostTransition(from, to)).toBe(true);
  });

  it.each(illegal)('refuses to move from %s to %s', (from, to) => {
    expect(canHostTransition(from, to)).toBe(false);
    expect(() => transitionHost(from, to)).toThrow(IllegalHostTransitionError);
    expect(() => transitionHost(from, to)).toThrow(`illegal host transition ${from} -> ${to}`);
  });

  it('has a table entry for every state, only known targets, and lists every pair once', () => {
    expect(Object.keys(HOST_TRANSITIONS).sort()).toEqual([...HOST_STATES].sort());
    for (const targets of Object.values(HOST_TRANSITIONS))
      for (const to of targets) expect(HOST_STATES).toContain(to);
    expect(allowed.length + illegal.length).toBe(HOST_STATES.length ** 2);
  });

  it('follows the seed worker lifecycle on the normal path', () => {
    const path: HostState[] = [
      'REQUESTED',
      'PENDING',
      'RUNNING',
      'SSM_ONLINE',
      'IN_USE',
      'TERMINATING',
      'TERMINATED',
    ];
    for (let i = 1; i < path.length; i += 1)
      expect(transitionHost(path[i - 1] as HostState, path[i] as HostState)).toBe(path[i]);
  });

  it.each(
    HOST_STATES.filter((s) => s !== 'TERMINATED'),
  )('lets a host in %s still end TERMINATED: no state strands an instance that costs money', (state) => {
    expect(reachable(state).has('TERMINATED')).toBe(true);
  });

  it('ends at TERMINATED, and reaches it only through TERMINATING or FAILED', () => {
    expect(HOST_TRANSITIONS.TERMINATED).toEqual([]);
    const into = allowed.filter(([, to]) => to === 'TERMINATED').map(([from]) => from);
    expect(into.sort()).toEqual(['FAILED', 'TERMINATING']);
  });

  it('never puts a failed or terminating host back to work', () => {
    for (const from of ['FAILED', 'TERMINATING', 'TERMINATED'] as const)
      expect(reachable(from).has('IN_USE')).toBe(false);
  });
});

describe('Function: planHostMove', () => {
  it('creates the record at the first sighting, in any state', () => {
    for (const state of HOST_STATES) expect(planHostMove(undefined, state)).toBe('create');
  });

  it.each(allowed)('moves %s to %s', (from, to) => {
    expect(planHostMove(from, to)).toBe('move');
  });

  it.each(HOST_STATES)('leaves %s unchanged when it is observed again', (state) => {
    expect(planHostMove(state, state)).toBe('unchanged');
  });

  it.each([
    ['IN_USE', 'PENDING', 'a retried PlanRun reports the launch again'],
    ['SSM_ONLINE', 'REQUESTED', 'a retried PlanRun reports the request again'],
    ['TERMINATING', 'IN_USE', 'a late use after the run ended'],
    ['TERMINATED', 'FAILED', 'the reconciler learns of an end already recorded'],
    ['FAILED', 'IN_USE', 'a failed host is never revived'],
  ] as const)('ignores %s -> %s as stale (%s)', (current, observed, _why) => {
    expect(planHostMove(current, observed)).toBe('unchanged');
  });

  it.each([
    ['REQUESTED', 'SSM_ONLINE'],
    ['RUNNING', 'IN_USE'],
    ['IN_USE', 'TERMINATED'],
    ['PENDING', 'TERMINATED'],
  ] as const)('refuses the forward jump %s -> %s', (current, observed) => {
    expect(() => planHostMove(current, observed)).toThrow(IllegalHostTransitionError);
  });
});

describe('Function: isHostGone', () => {
  it.each(
    HOST_STATES.map((s) => [s, s === 'TERMINATING' || s === 'TERMINATED'] as const),
  )('says %s is gone: %s', (state, gone) => {
    expect(isHostGone(state)).toBe(gone);
  });
});

describe('Class: HostProvisioningError', () => {
  it('carries the AWS code, the kind of failure and a hint, and is a FleetbenchError', () => {
    const error = new HostCapacityError(
      'cannot provision 7 × c7g.large',
      'capacity',
      'InsufficientInstanceCapacity',
      {
        hint: 'try another subnet',
      },
    );

    expect(error).toBeInstanceOf(HostProvisioningError);
    expect(error).toBeInstanceOf(FleetbenchError);
    expect(error).toMatchObject({
      name: 'HostCapacityError',
      code: 'HOST_CAPACITY',
      failure: 'capacity',
      awsCode: 'InsufficientInstanceCapacity',
      hint: 'try another subnet',
      exitCode: 1,
    });
    expect(new HostProvisioningError('bad AMI', 'invalid', 'InvalidAMIID.NotFound')).toMatchObject({
      name: 'HostProvisioningError',
      code: 'HOST_PROVISIONING',
    });
  });
});
