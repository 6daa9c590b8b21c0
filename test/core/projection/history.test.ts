import { describe, expect, it } from 'vitest';
import { instantHistory } from '../../../bench/lib/instant-run.js';
import { loadRunDefinition } from '../../../lib/adapters/local/workflow-definition.js';
import { HistoryCounter } from '../../../lib/core/projection/history-counter.js';
import { type HistoryProjection, projectHistory } from '../../../lib/core/projection/history-projection.js';
import type { RunShape } from '../../../lib/core/projection/run-shape.js';

const definition = loadRunDefinition();

/**
 * Runs the real run.asl.json in the local interpreter with Task states that complete at once, and counts
 * the AWS history its events map to, per execution. `failRep` makes that repetition fail with a stop, as
 * stop-run does.
 */
async function interpreterHistory(
  reps: number[],
  failRep?: number,
  free?: { hosts: number; concurrency: number },
) {
  return instantHistory(
    {
      workloads: reps.map((n, i) => ({ name: `w${i}`, reps: range(n) })),
      strategy: free ? 'free' : 'lockstep',
      hosts: range(free?.hosts ?? 0).map((h) => `host-${h}`),
      hostConcurrency: free?.concurrency ?? 1,
    },
    (payload) => {
      if (payload.phase === 'repetition' && payload.rep === failRep) {
        throw Object.assign(new Error('stop requested'), { name: 'Fleetbench.StopRequested' });
      }
    },
  );
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

function shape(reps: number[], hosts: number | undefined = 2): RunShape {
  return {
    hosts,
    globalSetup: 0,
    globalTeardown: 0,
    workloads: reps.map((n) => ({ reps: n, setup: 0, teardown: 0 })),
  };
}

function implemented(p: HistoryProjection) {
  if (!p.implemented) throw new Error('expected an implemented strategy');
  return p;
}

describe('Function: HistoryCounter', () => {
  it('maps a real interpreter run of run.asl.json to the AWS history events of a Standard execution', async () => {
    const count = await interpreterHistory([1, 3]);

    expect(count.byType).toEqual({
      // Lockstep or free?, Did the run finish?, and one Check workload outcome per workload
      ChoiceStateEntered: 4,
      ChoiceStateExited: 4,
      ExecutionStarted: 1,
      ExecutionSucceeded: 1,
      MapIterationStarted: 6,
      MapIterationSucceeded: 6,
      MapStateEntered: 3,
      MapStateExited: 3,
      MapStateStarted: 3,
      MapStateSucceeded: 3,
      PassStateEntered: 1,
      PassStateExited: 1,
      SucceedStateEntered: 3,
      SucceedStateExited: 3,
      // 2 request-response Tasks (Plan run, Finalize run) + 10 waitForTaskToken Tasks
      TaskScheduled: 12,
      TaskStarted: 12,
      TaskStateEntered: 12,
      TaskStateExited: 12,
      TaskSubmitted: 10,
      TaskSucceeded: 12,
    });
    expect(count.historyEvents).toBe(112);
    expect(count.stateTransitions).toBe(23);
    expect(count.children).toEqual([]);
  });

  it('records 8 history events per lockstep repetition whatever the fleet: at most 8 per (workload, rep, 50-host batch)', async () => {
    const [one, two, five] = await Promise.all([
      interpreterHistory([1]),
      interpreterHistory([2]),
      interpreterHistory([5]),
    ]);

    expect(two.historyEvents - one.historyEvents).toBe(8);
    expect(five.historyEvents - one.historyEvents).toBe(4 * 8);
    // The interpreter never sees the batches (run-command splits a step into ⌈hosts / 50⌉ SSM commands), so
    // a repetition's 8 events are shared by all its batches: 8 at 1 to 50 hosts, 0.4 per batch at 1,000.
    for (const hosts of [1, 50, 1000]) {
      const projected = implemented(projectHistory(shape([2], hosts), 'lockstep'));
      expect(projected.largest.historyEvents - one.historyEvents).toBe(8);
    }
  });

  it.each([
    [[1], 1, 1],
    [[2, 3], 3, 3],
    [[3, 1, 2], 4, 2],
  ])('counts free per execution, the run and each host child, as projectHistory does (workloads %j, %i hosts, %i at once)', async (reps, hosts, concurrency) => {
    const measured = await interpreterHistory(reps, undefined, { hosts, concurrency });
    const projected = implemented(projectHistory(shape(reps, hosts), 'free'));
    const totals = (c: { historyEvents: number; stateTransitions: number }) => ({
      historyEvents: c.historyEvents,
      stateTransitions: c.stateTransitions,
    });

    expect(measured.children).toHaveLength(hosts);
    expect(totals(measured.parent)).toEqual(projected.parent);
    for (const child of measured.children) expect(totals(child)).toEqual(projected.child);
    expect(totals(measured)).toEqual(projected.total);
    expect(projected.executions).toBe(1 + hosts);
  });

  it("maps free's Distributed Map: a Map Run in the run's history, ExecutionStarted…Succeeded in each child's", async () => {
    const count = await interpreterHistory([2], undefined, { hosts: 2, concurrency: 2 });

    expect(count.parent.byType).toMatchObject({ MapRunStarted: 1, MapRunSucceeded: 1, ExecutionStarted: 1 });
    expect(count.parent.byType.MapIterationStarted).toBeUndefined();
    expect(count.parent.byType.TaskSubmitted).toBe(2); // global setup and teardown only
    for (const child of count.children) {
      expect(child.byType).toMatchObject({
        ExecutionStarted: 1,
        ExecutionSucceeded: 1,
        TaskSubmitted: 4, // setup, 2 repetitions, teardown of this host
        MapIterationStarted: 3,
      });
      expect(child.byType.MapRunStarted).toBeUndefined();
    }
  });

  it.each([
    [[1], 2],
    [[5, 5, 5], 1],
    [[2, 7], 3],
  ])('agrees with projectHistory for workloads of %j repetitions', async (reps, hosts) => {
    const measured = await interpreterHistory(reps);
    const projected = implemented(projectHistory(shape(reps, hosts), 'lockstep'));

    expect(projected.largest).toEqual({
      historyEvents: measured.historyEvents,
      stateTransitions: measured.stateTransitions,
    });
  });

  it('maps a stopped run: the failed Task, the failed iterations and Maps, the Fail state, and the catches', async () => {
    const count = await interpreterHistory([3], 2);

    expect(count.byType).toMatchObject({
      TaskFailed: 1,
      MapIterationFailed: 2,
      MapStateFailed: 2,
      FailStateEntered: 1,
      // every Task but the failed repetition, which ends its iteration instead of being left
      TaskStateExited: 7,
      TaskSucceeded: 7,
      ExecutionSucceeded: 1,
    });
    expect(count.byType.MapStateSucceeded).toBeUndefined();
  });

  it('refuses an interpreter event it has no mapping for', () => {
    const counter = new HistoryCounter(definition as never);
    expect(() =>
      counter.add({ type: 'StateEntered', state: { name: 'No such state', type: 'Task' } }),
    ).toThrow(/no history mapping/);
  });
});

describe('Function: projectHistory', () => {
  it('projects the 1,000-host × 10-workload × 5-repetition lockstep plan far under the limit', () => {
    const projected = implemented(projectHistory(shape(Array(10).fill(5), 1000), 'lockstep'));

    expect(projected.largest).toEqual({ historyEvents: 656, stateTransitions: 109 });
    expect(projected.executions).toBe(1);
    expect(projected.hostTasks).toBe(50_000);
    expect(projected.perHostTask?.historyEvents).toBeCloseTo(0.01312, 5);
  });

  it('projects the same plan in free under the limit in every execution: the run and 1,000 host children', () => {
    const projected = implemented(projectHistory(shape(Array(10).fill(5), 1000), 'free'));

    expect(projected.parent).toEqual({ historyEvents: 40, stateTransitions: 10 });
    expect(projected.child).toEqual({ historyEvents: 628, stateTransitions: 102 });
    expect(projected.largest).toEqual(projected.child);
    expect(projected.executions).toBe(1001);
    expect(projected.total).toEqual({ historyEvents: 628_040, stateTransitions: 102_010 });
  });

  it("sizes a free host's execution by the plan's steps, never by the fleet", () => {
    const small = implemented(projectHistory(shape([5, 5], 3), 'free'));
    const large = implemented(projectHistory(shape([5, 5], 5000), 'free'));

    expect(large.largest).toEqual(small.largest);
    expect(large.total.stateTransitions).toBeGreaterThan(small.total.stateTransitions);
  });
});
