/**
 * Figure 2 — Step Functions history budget: the real run.asl.json in aws-local-stepfunctions with Task
 * states that complete at once (no database, no processes), its interpreter events mapped to the AWS history
 * events of a Standard execution (lib/core/projection/history-mapping.ts), counted, and compared with the projection.
 */
import { HISTORY_EVENT_BUDGET, HISTORY_EVENT_LIMIT } from '../../lib/core/projection/history-budget.js';
import type { HistoryCount } from '../../lib/core/projection/history-counter.js';
import { type HistoryProjection, projectHistory } from '../../lib/core/projection/history-projection.js';
import type { RunShape } from '../../lib/core/projection/run-shape.js';
import { type InstantHistory, instantHistory } from '../lib/instant-run.js';
import { type FigureResult, measured } from '../lib/report.js';
import { round } from '../lib/stats.js';

/** SendCommand takes ≤ 50 instances: the runner's batches, invisible to the workflow. */
const SSM_BATCH = 50;

export type InstantRun = InstantHistory & {
  readonly sendCommands: number;
  readonly wallMs: number;
};

/**
 * Runs the workflow for `workloads` × `reps` with instant Task states. run-command's effect is reduced to
 * what the workflow sees (the step completes) plus the number of SSM commands it would send. In free the
 * hosts' child executions run one at a time by default, so the counter can attribute every event to its
 * execution.
 */
export async function instantRun(
  hosts: number,
  workloads: number,
  reps: number,
  strategy: 'lockstep' | 'free' = 'lockstep',
  hostConcurrency = 1,
): Promise<InstantRun> {
  let sendCommands = 0;
  const start = performance.now();
  const counted = await instantHistory(
    {
      workloads: Array.from({ length: workloads }, (_, w) => ({
        name: `w${w + 1}`,
        reps: Array.from({ length: reps }, (_, r) => r + 1),
      })),
      strategy,
      hosts: strategy === 'free' ? Array.from({ length: hosts }, (_, h) => `host-${h + 1}`) : [],
      hostConcurrency,
    },
    (payload) => {
      // lockstep: one command per batch of ≤ 50 hosts; free: one per host's repetition.
      if (payload.phase === 'repetition') sendCommands += payload.host ? 1 : Math.ceil(hosts / SSM_BATCH);
    },
  );
  return { ...counted, sendCommands, wallMs: performance.now() - start };
}

export async function historyFigure(): Promise<FigureResult> {
  const hosts = 1000;
  const workloads = 10;
  const reps = 5;
  const count = await instantRun(hosts, workloads, reps);
  const free = await instantRun(hosts, workloads, reps, 'free');
  const shape: RunShape = {
    hosts,
    globalSetup: 0,
    globalTeardown: 0,
    workloads: Array.from({ length: workloads }, () => ({ reps, setup: 0, teardown: 0 })),
  };
  const projected = implemented(projectHistory(shape, 'lockstep'));
  const freeProjected = implemented(projectHistory(shape, 'free'));
  const hostTasks = hosts * workloads * reps;
  // The execution that grows with repetitions: lockstep's only one, free's host child.
  const oneWorkload = (n: number, strategy: 'lockstep' | 'free') => {
    const p = implemented(
      projectHistory({ ...shape, workloads: [{ reps: n, setup: 0, teardown: 0 }] }, strategy),
    );
    return (p.child ?? p.parent).historyEvents;
  };
  // The most repetitions of one workload that stay within the budget: events grow linearly with repetitions.
  const maxReps = (strategy: 'lockstep' | 'free') =>
    1 +
    Math.floor(
      (HISTORY_EVENT_BUDGET - oneWorkload(1, strategy)) /
        (oneWorkload(2, strategy) - oneWorkload(1, strategy)),
    );
  const childEvents = free.children.map((c) => c.historyEvents);
  const largestChild = free.children.reduce<HistoryCount | undefined>(
    (max, c) => (max === undefined || c.historyEvents > max.historyEvents ? c : max),
    undefined,
  );
  const freeLargest = Math.max(free.parent.historyEvents, ...childEvents);
  const limit = { comparator: '<=', value: HISTORY_EVENT_LIMIT, unit: 'events' } as const;
  const budget = { comparator: '<=', value: HISTORY_EVENT_BUDGET, unit: 'events' } as const;
  return {
    id: 'history',
    title: 'Step Functions history budget',
    method:
      'run.asl.json executed by aws-local-stepfunctions for 1,000 hosts × 10 workloads × 5 repetitions with ' +
      'instant Task states, in lockstep and in free; every interpreter event mapped to AWS Standard history events ' +
      '(STATE_HISTORY, EXECUTION_HISTORY and CHILD_EXECUTION_HISTORY in lib/core/projection/history-mapping.ts) and counted per ' +
      "execution: in free the run's execution and each host's child execution of the Distributed Map.",
    measurements: [
      measured(
        'lockstep: history events in the largest execution (vs the 25,000 limit)',
        count.historyEvents,
        'events',
        limit,
      ),
      measured(
        'lockstep: history events in the largest execution (vs the 20,000 target)',
        count.historyEvents,
        'events',
        budget,
      ),
      measured('lockstep: history events per host-task', count.historyEvents / hostTasks, 'events'),
      measured('lockstep: state transitions per execution', count.stateTransitions, 'transitions'),
      measured(
        'lockstep: state transitions per host-task',
        count.stateTransitions / hostTasks,
        'transitions',
      ),
      measured(
        'lockstep: projection ÷ interpreter count',
        projected.largest.historyEvents / count.historyEvents,
        '×',
      ),
      measured(
        'lockstep: most repetitions of one workload within 20,000 events',
        maxReps('lockstep'),
        'reps',
      ),
      measured(
        'free: history events in the largest execution (vs the 20,000 target)',
        freeLargest,
        'events',
        budget,
      ),
      measured("free: history events in the run's own execution", free.parent.historyEvents, 'events'),
      measured(
        "free: history events in each host's child execution (largest; smallest)",
        largestChild?.historyEvents ?? null,
        'events',
        undefined,
        `smallest ${Math.min(...childEvents)}, ${free.children.length} child executions`,
      ),
      measured(
        'free: history events per host-task, all executions',
        free.historyEvents / hostTasks,
        'events',
      ),
      measured('free: state transitions, all executions', free.stateTransitions, 'transitions'),
      measured('free: state transitions per host-task', free.stateTransitions / hostTasks, 'transitions'),
      measured(
        'free: projection ÷ interpreter count (largest execution)',
        freeProjected.largest.historyEvents / freeLargest,
        '×',
      ),
      measured(
        'free: most repetitions of one workload within 20,000 events per host',
        maxReps('free'),
        'reps',
      ),
    ],
    details: {
      hosts,
      workloads,
      reps,
      hostTasks,
      lockstep: {
        executions: 1,
        sendCommandsPerRun: count.sendCommands,
        interpreter: {
          historyEvents: count.historyEvents,
          stateTransitions: count.stateTransitions,
          byType: count.byType,
          wallMs: round(count.wallMs, 1),
        },
        projected: projected.largest,
      },
      free: {
        executions: 1 + free.children.length,
        sendCommandsPerRun: free.sendCommands,
        interpreter: {
          parent: free.parent,
          largestChild,
          total: { historyEvents: free.historyEvents, stateTransitions: free.stateTransitions },
          wallMs: round(free.wallMs, 1),
        },
        projected: { parent: freeProjected.parent, child: freeProjected.child, total: freeProjected.total },
      },
    },
  };
}

function implemented(p: HistoryProjection): Extract<HistoryProjection, { implemented: true }> {
  if (!p.implemented) throw new Error(p.reason);
  return p;
}
