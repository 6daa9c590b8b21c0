import { describe, expect, it } from 'vitest';
import {
  type CloudEvent,
  EVENT_TYPES,
  eventId,
  eventSource,
  hostExcluded,
  hostKept,
  hostTerminated,
  runFinished,
  runRemoved,
  runStarted,
  runStateChanged,
  runStopRequested,
  taskCancelled,
  taskCompleted,
  taskFailed,
  taskSkipped,
} from '../../lib/core/cloudevents.js';
import type { TaskRecord } from '../../lib/core/run.js';
import { emptyCounts } from '../../lib/core/task-state.js';

const runId = 'demo-20250102-030405-i000';
const base = { runId, target: 'local' as const, time: '2025-01-02T03:04:05.000Z' };
const task: TaskRecord = {
  key: 'host-1::cpu::1',
  host: 'host-1',
  workload: 'cpu',
  rep: 1,
  status: 'COMPLETED',
  attempts: 1,
  seed: '42',
  startedAt: '2025-01-02T03:04:05.000Z',
  finishedAt: '2025-01-02T03:04:06.000Z',
  durationMs: 1000,
  exitCode: 0,
  metrics: [{ name: 'ops_per_second', value: 12.5, unit: 'ops/s' }],
  outputRef: '.fleetbench/runs/x/out.txt',
  commandId: 'cmd-1',
};

const builders: [string, () => CloudEvent][] = [
  [
    EVENT_TYPES.runStarted,
    () =>
      runStarted({
        ...base,
        name: 'demo',
        planHash: 'ab',
        attempt: 1,
        hosts: ['host-1'],
        workloads: ['cpu'],
      }),
  ],
  [
    EVENT_TYPES.runStateChanged,
    () => runStateChanged({ ...base, from: 'INIT', to: 'RUNNING_GLOBAL_SETUP', reason: 'started', seq: 1 }),
  ],
  [EVENT_TYPES.taskCompleted, () => taskCompleted({ ...base, task, attempt: 1 })],
  [
    EVENT_TYPES.taskFailed,
    () =>
      taskFailed({ ...base, task: { ...task, status: 'FAILED', exitCode: 2, error: 'boom' }, attempt: 1 }),
  ],
  [EVENT_TYPES.taskSkipped, () => taskSkipped({ ...base, task: { ...task, status: 'SKIPPED' }, attempt: 1 })],
  [
    EVENT_TYPES.taskCancelled,
    () => taskCancelled({ ...base, task: { ...task, status: 'CANCELLED' }, attempt: 1 }),
  ],
  [
    EVENT_TYPES.runStopRequested,
    () =>
      runStopRequested({
        ...base,
        request: { requestedAt: base.time, requestedBy: 'me', reason: 'ctrl-c', force: false },
      }),
  ],
  [
    EVENT_TYPES.runFinished,
    () => runFinished({ ...base, state: 'FINISHED', counts: emptyCounts(), attempt: 1 }),
  ],
  [
    EVENT_TYPES.hostExcluded,
    () => hostExcluded({ ...base, host: { id: 'w1', name: 'host-1' }, reason: 'unreachable', attempt: 1 }),
  ],
  [
    EVENT_TYPES.hostTerminated,
    () =>
      hostTerminated({
        ...base,
        host: { id: 'i-1', name: 'host-1' },
        reason: 'run ended',
        by: 'finalize-run',
      }),
  ],
  [EVENT_TYPES.hostKept, () => hostKept({ ...base, host: { id: 'i-1', name: 'host-1' }, attempt: 1 })],
  [EVENT_TYPES.runRemoved, () => runRemoved({ ...base, purged: true, by: 'cli:alice', state: 'FINISHED' })],
];

describe('Function: event builders', () => {
  it('covers every event type', () => {
    expect(builders.map(([type]) => type).sort()).toEqual(Object.values(EVENT_TYPES).sort());
  });

  it.each(builders)('builds a CloudEvents 1.0 envelope for %s', (type, build) => {
    const event = build();
    expect(event).toMatchObject({
      specversion: '1.0',
      type,
      source: `fleetbench/local/${runId}`,
      time: base.time,
      datacontenttype: 'application/json',
      data: expect.objectContaining({ runId }),
    });
    expect(event.id).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(JSON.stringify(event))).toStrictEqual(event);
  });

  it.each(builders)('gives %s the same id every time it is built', (_type, build) => {
    expect(build().id).toBe(build().id);
  });

  it('gives every type a different id for the same run', () => {
    expect(new Set(builders.map(([, build]) => build().id)).size).toBe(builders.length);
  });

  it.each([
    [
      'a later state change',
      () => runStateChanged({ ...base, from: 'INIT', to: 'RUNNING_GLOBAL_SETUP', reason: 'started', seq: 2 }),
    ],
    [
      'another run',
      () =>
        runStateChanged({
          ...base,
          runId: 'other',
          from: 'INIT',
          to: 'RUNNING_GLOBAL_SETUP',
          reason: 'started',
          seq: 1,
        }),
    ],
  ])('gives %s a different id', (_case, build) => {
    expect(build().id).not.toBe(
      runStateChanged({ ...base, from: 'INIT', to: 'RUNNING_GLOBAL_SETUP', reason: 'started', seq: 1 }).id,
    );
  });

  it.each([
    ['another attempt', { ...base, task, attempt: 2 }],
    ['another task', { ...base, task: { ...task, key: 'host-2::cpu::1', host: 'host-2' }, attempt: 1 }],
  ])('gives a task outcome on %s a different id', (_case, input) => {
    expect(taskCompleted(input).id).not.toBe(taskCompleted({ ...base, task, attempt: 1 }).id);
  });

  it('ignores the time when deduplicating', () => {
    const later = taskCompleted({ ...base, time: '2030-01-01T00:00:00.000Z', task, attempt: 1 });
    expect(later.id).toBe(taskCompleted({ ...base, task, attempt: 1 }).id);
  });

  it('accepts a Date as the time', () => {
    const event = runFinished({
      ...base,
      time: new Date(base.time),
      state: 'ABORTED',
      counts: emptyCounts(),
      attempt: 1,
    });
    expect(event.time).toBe(base.time);
  });

  it('carries a completed task with its metrics and the task key as subject', () => {
    const event = taskCompleted({ ...base, task, attempt: 1 });
    expect(event.subject).toBe('host-1::cpu::1');
    expect(event.data).toStrictEqual({
      runId,
      key: 'host-1::cpu::1',
      host: 'host-1',
      workload: 'cpu',
      rep: 1,
      status: 'COMPLETED',
      attempt: 1,
      startedAt: task.startedAt,
      finishedAt: task.finishedAt,
      durationMs: 1000,
      exitCode: 0,
      metrics: task.metrics,
      outputRef: task.outputRef,
    });
  });

  it('carries a failed task with its error and leaves absent fields out', () => {
    const { metrics: _m, outputRef: _o, ...bare } = task;
    const event = taskFailed({
      ...base,
      task: { ...bare, status: 'FAILED', exitCode: 1, error: 'exit 1', errorType: 'NonZeroExit' },
      attempt: 3,
    });
    expect(event.data).toMatchObject({
      status: 'FAILED',
      error: 'exit 1',
      errorType: 'NonZeroExit',
      attempt: 3,
    });
    expect(Object.keys(event.data)).not.toContain('errorContext');
    expect(Object.keys(event.data)).not.toContain('outputRef');
  });

  it('carries a state change with its reason and the new state as subject', () => {
    const event = runStateChanged({
      ...base,
      target: 'aws',
      from: null,
      to: 'INIT',
      reason: 'created',
      seq: 0,
    });
    expect(event.source).toBe(`fleetbench/aws/${runId}`);
    expect(event.subject).toBe('INIT');
    expect(event.data).toStrictEqual({ runId, from: null, to: 'INIT', reason: 'created', seq: 0 });
  });

  it('carries an excluded host by name', () => {
    const event = hostExcluded({
      ...base,
      host: { id: 'i-0123', name: 'web-1' },
      reason: 'SSM offline',
      attempt: 1,
    });
    expect(event.subject).toBe('web-1');
    expect(event.data).toStrictEqual({
      runId,
      host: { id: 'i-0123', name: 'web-1' },
      reason: 'SSM offline',
      attempt: 1,
    });
  });
});

describe('Function: eventId', () => {
  it('is 32 hex characters of a hash over type, run and discriminator', () => {
    expect(eventId(EVENT_TYPES.runFinished, runId, [1])).toMatch(/^[0-9a-f]{32}$/);
    expect(eventId(EVENT_TYPES.runFinished, runId, [1])).not.toBe(
      eventId(EVENT_TYPES.runFinished, runId, [2]),
    );
  });
});

describe('Function: eventSource', () => {
  it.each([
    ['local', 'fleetbench/local/r1'],
    ['aws', 'fleetbench/aws/r1'],
  ] as const)('names the %s target', (target, source) => {
    expect(eventSource(target, 'r1')).toBe(source);
  });
});
