/**
 * CloudEvents 1.0 for everything a run does, one builder per event type, the same on both targets
 * (EventBridge on aws, events.jsonl locally). Ids are deterministic — sha256 over the type, the run and
 * what makes the occurrence unique — because delivery is at least once and a retried use case re-publishes:
 * consumers deduplicate on `id`, and the same fact always carries the same id. The builders say what an
 * event holds; the official SDK checks and serialises its envelope when it is published
 * (cloudevent-envelope.ts).
 */
import { createHash } from 'node:crypto';
import type { ControllerState } from './controller-state.js';
import type { Host, StopRequest, Target, TaskRecord } from './run.js';
import type { TaskCounts } from './task-state.js';

export const EVENT_TYPES = {
  runStarted: 'dev.fleetbench.run.started',
  runStateChanged: 'dev.fleetbench.run.state.changed',
  taskCompleted: 'dev.fleetbench.task.completed',
  taskFailed: 'dev.fleetbench.task.failed',
  taskSkipped: 'dev.fleetbench.task.skipped',
  taskCancelled: 'dev.fleetbench.task.cancelled',
  runStopRequested: 'dev.fleetbench.run.stop.requested',
  runFinished: 'dev.fleetbench.run.finished',
  hostExcluded: 'dev.fleetbench.host.excluded',
  hostTerminated: 'dev.fleetbench.host.terminated',
  hostKept: 'dev.fleetbench.host.kept',
  runRemoved: 'dev.fleetbench.run.removed',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

export type CloudEvent = {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
};

/** What every builder needs: which run, where it runs, and when the fact happened. */
export type EventBase = {
  readonly runId: string;
  readonly target: Target;
  /** A Date or an ISO-8601 string. */
  readonly time: Date | string;
};

/** `fleetbench/<target>/<runId>`, the CloudEvents `source` of every event of a run. */
export function eventSource(target: Target, runId: string): string {
  return `fleetbench/${target}/${runId}`;
}

/**
 * The deterministic event id: 32 hex characters of sha256 over the type, the run and a discriminator.
 * @example
 * eventId(EVENT_TYPES.runStateChanged, 'demo-20250101-120000-ab12', ['3']); // 32 hex characters
 */
export function eventId(type: EventType, runId: string, discriminator: readonly (string | number)[]): string {
  return createHash('sha256')
    .update([type, runId, ...discriminator.map(String)].join('\0'))
    .digest('hex')
    .slice(0, 32);
}

function build(
  type: EventType,
  base: EventBase,
  discriminator: readonly (string | number)[],
  data: Record<string, unknown>,
  subject?: string,
): CloudEvent {
  return {
    specversion: '1.0',
    id: eventId(type, base.runId, discriminator),
    source: eventSource(base.target, base.runId),
    type,
    ...(subject === undefined ? {} : { subject }),
    time: typeof base.time === 'string' ? base.time : base.time.toISOString(),
    datacontenttype: 'application/json',
    data: { runId: base.runId, ...withoutUndefined(data) },
  };
}

function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== undefined));
}

/**
 * A run's execution started; `attempt` is 1, then +1 on every resume.
 * @example
 * runStarted({ runId, target: 'local', time: clock.now(), name: plan.name, planHash: hash, attempt: 1,
 *   hosts: ['host-1'], workloads: ['cpu'] });
 */
export function runStarted(
  input: EventBase & {
    readonly name: string;
    readonly planHash: string;
    readonly attempt: number;
    readonly hosts: readonly string[];
    readonly workloads: readonly string[];
  },
): CloudEvent {
  const { runId: _r, target: _t, time: _time, ...data } = input;
  return build(EVENT_TYPES.runStarted, input, [input.attempt], data);
}

/**
 * A controller state change, as appended to the journal's audit trail (`seq` is its sequence number).
 * @example
 * runStateChanged({ runId, target: 'aws', time: record.at, from: 'INIT', to: 'RUNNING_GLOBAL_SETUP',
 *   reason: 'plan validated', seq: 1 });
 */
export function runStateChanged(
  input: EventBase & {
    readonly from: ControllerState | null;
    readonly to: ControllerState;
    readonly reason: string;
    readonly seq: number;
  },
): CloudEvent {
  const { runId: _r, target: _t, time: _time, ...data } = input;
  return build(EVENT_TYPES.runStateChanged, input, [input.seq, input.from ?? '', input.to], data, input.to);
}

export type TaskEventInput = EventBase & { readonly task: TaskRecord; readonly attempt: number };

function taskData(
  task: TaskRecord,
  attempt: number,
  fields: readonly (keyof TaskRecord)[],
): Record<string, unknown> {
  const data: Record<string, unknown> = {
    key: task.key,
    host: task.host,
    workload: task.workload,
    rep: task.rep,
    status: task.status,
    attempt,
  };
  // Consumers of the events (metrics, rebuild) tell warm-ups apart without the plan.
  if (task.warmup) data.warmup = true;
  for (const field of fields) data[field] = task[field];
  return data;
}

function taskEvent(
  type: EventType,
  input: TaskEventInput,
  fields: readonly (keyof TaskRecord)[],
): CloudEvent {
  return build(
    type,
    input,
    [input.task.key, input.attempt],
    taskData(input.task, input.attempt, fields),
    input.task.key,
  );
}

/**
 * A task finished successfully; carries its timing and metrics.
 * @example
 * taskCompleted({ runId, target: 'local', time: task.finishedAt, task, attempt: task.attempts });
 */
export function taskCompleted(input: TaskEventInput): CloudEvent {
  return taskEvent(EVENT_TYPES.taskCompleted, input, [
    'startedAt',
    'finishedAt',
    'durationMs',
    'exitCode',
    'metrics',
    'outputRef',
  ]);
}

/**
 * A task failed (non-zero exit, timeout, unparseable output, host lost).
 * @example
 * taskFailed({ runId, target: 'aws', time: task.finishedAt, task, attempt: task.attempts });
 */
export function taskFailed(input: TaskEventInput): CloudEvent {
  return taskEvent(EVENT_TYPES.taskFailed, input, [
    'startedAt',
    'finishedAt',
    'durationMs',
    'exitCode',
    'error',
    'errorType',
    'errorContext',
    'outputRef',
  ]);
}

/**
 * A task will not run (its host failed setup, failFast fired); `task.error` holds the reason.
 * @example
 * taskSkipped({ runId, target: 'local', time: clock.now(), task, attempt: 1 });
 */
export function taskSkipped(input: TaskEventInput): CloudEvent {
  return taskEvent(EVENT_TYPES.taskSkipped, input, ['error']);
}

/**
 * A task was cancelled by a stop request.
 * @example
 * taskCancelled({ runId, target: 'aws', time: clock.now(), task, attempt: task.attempts });
 */
export function taskCancelled(input: TaskEventInput): CloudEvent {
  return taskEvent(EVENT_TYPES.taskCancelled, input, ['startedAt', 'finishedAt', 'error']);
}

/**
 * A stop was requested; recorded once per request, so its time identifies it.
 * @example
 * runStopRequested({ runId, target: 'aws', time: request.requestedAt, request });
 */
export function runStopRequested(input: EventBase & { readonly request: StopRequest }): CloudEvent {
  return build(EVENT_TYPES.runStopRequested, input, [input.request.requestedAt], { ...input.request });
}

/**
 * A run's execution ended in a terminal state.
 * @example
 * runFinished({ runId, target: 'local', time: clock.now(), state: 'FINISHED', counts, attempt: 1 });
 */
export function runFinished(
  input: EventBase & {
    readonly state: ControllerState;
    readonly counts: TaskCounts;
    readonly attempt: number;
    readonly reason?: string;
  },
): CloudEvent {
  const { runId: _r, target: _t, time: _time, ...data } = input;
  return build(EVENT_TYPES.runFinished, input, [input.attempt], data, input.state);
}

/**
 * A host was left out of the run (unreachable at PlanRun, or failed global setup).
 * @example
 * hostExcluded({ runId, target: 'aws', time: clock.now(), host, reason: 'SSM agent offline', attempt: 1 });
 */
export function hostExcluded(
  input: EventBase & { readonly host: Host; readonly reason: string; readonly attempt: number },
): CloudEvent {
  const { runId: _r, target: _t, time: _time, host, ...rest } = input;
  return build(
    EVENT_TYPES.hostExcluded,
    input,
    [host.id, input.attempt],
    { host: { ...host }, ...rest },
    host.name,
  );
}

/**
 * fleetbench asked for an ephemeral host to be terminated (`by` says who: plan-run after a failed launch,
 * finalize-run, the reconciler). One per instance: the id depends only on it, so a second request for the
 * same instance (finalize and reconciler racing) carries the same id and consumers keep one.
 * @example
 * hostTerminated({ runId, target: 'aws', time: clock.now(), host, reason: 'run ended FINISHED', by: 'finalize-run' });
 */
export function hostTerminated(
  input: EventBase & { readonly host: Host; readonly reason: string; readonly by: string },
): CloudEvent {
  const { runId: _r, target: _t, time: _time, host, ...rest } = input;
  return build(EVENT_TYPES.hostTerminated, input, [host.id], { host: { ...host }, ...rest }, host.name);
}

/**
 * An ephemeral host was kept running after its run ended, because the run asked for it (`keepHosts`). It
 * costs money until someone terminates it.
 * @example
 * hostKept({ runId, target: 'aws', time: clock.now(), host, attempt: 1 });
 */
export function hostKept(input: EventBase & { readonly host: Host; readonly attempt: number }): CloudEvent {
  const { runId: _r, target: _t, time: _time, host, ...rest } = input;
  return build(
    EVENT_TYPES.hostKept,
    input,
    [host.id, input.attempt],
    { host: { ...host }, ...rest },
    host.name,
  );
}

/**
 * A run that had ended was removed from the catalog (`fleetbench rm`, the stack's retention); `purged` says
 * whether its journal, events and outputs were deleted too. Its time identifies the removal.
 * @example
 * runRemoved({ runId, target: 'local', time: clock.now(), purged: true, by: 'cli:alice', state: 'FINISHED' });
 */
export function runRemoved(
  input: EventBase & {
    readonly purged: boolean;
    readonly by: string;
    /** The state the run had ended in; absent when an earlier removal already took it out of the catalog. */
    readonly state?: ControllerState;
  },
): CloudEvent {
  const { runId: _r, target: _t, time: _time, ...data } = input;
  const time = typeof input.time === 'string' ? input.time : input.time.toISOString();
  return build(EVENT_TYPES.runRemoved, input, [time, String(input.purged)], data);
}
