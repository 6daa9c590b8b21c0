/**
 * The lifecycle of an ephemeral host — an instance fleetbench launched for one run (`hosts: {provision}`) —
 * after the seed's worker lifecycle and its `state_history` audit trail:
 *
 *   REQUESTED → PENDING → RUNNING → SSM_ONLINE → IN_USE → TERMINATING → TERMINATED
 *   any live state → FAILED (with the reason) → TERMINATING | TERMINATED
 *
 * A failed host is still an instance that costs money, so FAILED is not an end: it leads to termination.
 * The journal keeps each host's state and history (`SK=HOST#<instanceId>`); observations arrive from the host
 * provider (launch, wait, release), the use cases (in use) and the reconciler (orphans, terminations seen
 * later). `planHostMove` decides what an observation does to the stored state: a stale one (a retried
 * PlanRun reporting PENDING for a host already IN_USE) changes nothing, an illegal one is an error — the
 * table is the whole truth, never a silent overwrite. Pure: no I/O.
 */
import { type ErrorDetails, FleetbenchError } from './errors.js';

export const HOST_STATES = [
  'REQUESTED',
  'PENDING',
  'RUNNING',
  'SSM_ONLINE',
  'IN_USE',
  'TERMINATING',
  'TERMINATED',
  'FAILED',
] as const;
export type HostState = (typeof HOST_STATES)[number];

export const HOST_TRANSITIONS: Readonly<Record<HostState, readonly HostState[]>> = {
  // TERMINATING from every live state: a failed launch, a stop or an orphan sweep ends a host wherever it is.
  REQUESTED: ['PENDING', 'TERMINATING', 'FAILED'],
  PENDING: ['RUNNING', 'TERMINATING', 'FAILED'],
  RUNNING: ['SSM_ONLINE', 'TERMINATING', 'FAILED'],
  SSM_ONLINE: ['IN_USE', 'TERMINATING', 'FAILED'],
  IN_USE: ['TERMINATING', 'FAILED'],
  TERMINATING: ['TERMINATED'],
  // Terminated by someone else (spot interruption, a console click) goes FAILED first, then TERMINATED.
  FAILED: ['TERMINATING', 'TERMINATED'],
  TERMINATED: [],
};

/** Where each state sits on the way to TERMINATED: an observation behind the stored state is stale. */
const PROGRESS: Readonly<Record<HostState, number>> = {
  REQUESTED: 0,
  PENDING: 1,
  RUNNING: 2,
  SSM_ONLINE: 3,
  IN_USE: 4,
  FAILED: 5,
  TERMINATING: 6,
  TERMINATED: 7,
};

/** One entry of a host's history, as the journal keeps it. */
export type HostTransition = {
  readonly at: string;
  readonly from: HostState | null;
  readonly to: HostState;
  readonly reason: string;
};

/** What is known about the instance besides its state; recorded when first seen, completed later. */
export type HostDetails = {
  readonly instanceType?: string;
  readonly imageId?: string;
  readonly spot?: boolean;
  readonly launchedAt?: string;
  readonly address?: string;
};

/** Something a provider, a use case or the reconciler saw happen to a host. */
export type HostObservation = {
  readonly instanceId: string;
  readonly name: string;
  readonly state: HostState;
  readonly at: string;
  readonly reason: string;
  readonly details?: HostDetails;
};

/** Journal `SK=HOST#<instanceId>`: an ephemeral host's current state and its whole history. */
export type HostRecord = HostDetails & {
  readonly runId: string;
  readonly instanceId: string;
  readonly name: string;
  readonly state: HostState;
  readonly reason: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly history: readonly HostTransition[];
};

/** A host state change the table forbids. */
export class IllegalHostTransitionError extends FleetbenchError {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly from: HostState,
    readonly to: HostState,
  ) {
    super(`illegal host transition ${from} -> ${to}`);
  }
}

export function canHostTransition(from: HostState, to: HostState): boolean {
  return HOST_TRANSITIONS[from].includes(to);
}

/**
 * Validates a move and returns the new state.
 * @example
 * transitionHost('SSM_ONLINE', 'IN_USE'); // 'IN_USE'
 * transitionHost('IN_USE', 'TERMINATED'); // throws IllegalHostTransitionError (TERMINATING comes first)
 */
export function transitionHost(from: HostState, to: HostState): HostState {
  if (!canHostTransition(from, to)) throw new IllegalHostTransitionError(from, to);
  return to;
}

/** A host that no longer exists or is on its way out: nothing may use it again. */
export function isHostGone(state: HostState): boolean {
  return state === 'TERMINATING' || state === 'TERMINATED';
}

/**
 * What an observation does to the stored state: `create` the record (first sighting, in any state), `move`
 * it (an allowed transition), or leave it `unchanged` (the same state again, or a stale observation behind
 * the stored one — the retried PlanRun, the late reconciler).
 * @throws IllegalHostTransitionError for a forward move the table forbids (IN_USE -> TERMINATED)
 * @example
 * planHostMove(undefined, 'REQUESTED'); // 'create'
 * planHostMove('IN_USE', 'PENDING'); // 'unchanged'
 * planHostMove('IN_USE', 'TERMINATING'); // 'move'
 */
export function planHostMove(
  current: HostState | undefined,
  observed: HostState,
): 'create' | 'move' | 'unchanged' {
  if (current === undefined) return 'create';
  if (current === observed) return 'unchanged';
  if (canHostTransition(current, observed)) return 'move';
  if (PROGRESS[observed] < PROGRESS[current] || current === 'TERMINATED') return 'unchanged';
  throw new IllegalHostTransitionError(current, observed);
}

/** Why hosts could not be provisioned, as the user acts on it. */
export type ProvisioningFailure = 'capacity' | 'quota' | 'unsupported' | 'invalid' | 'denied' | 'other';

/**
 * Launching the run's hosts failed; every instance that was created has been terminated. `awsCode` is the
 * provider's error code (InsufficientInstanceCapacity, VcpuLimitExceeded, …) so a user can search for it.
 */
export class HostProvisioningError extends FleetbenchError {
  readonly code: string = 'HOST_PROVISIONING';
  constructor(
    message: string,
    readonly failure: ProvisioningFailure,
    readonly awsCode: string | undefined,
    details: ErrorDetails = {},
  ) {
    super(message, details);
  }
}

/**
 * Capacity or quota: the plan is fine, the account or the Availability Zone cannot take it now. A separate
 * class so callers (and the state machine's Catch, by name) can tell "try again elsewhere" from "fix the plan".
 */
export class HostCapacityError extends HostProvisioningError {
  override readonly code: string = 'HOST_CAPACITY';
}
