/**
 * Figure 2 — Step Functions history budget: the real run.asl.json in aws-local-stepfunctions with Task
 * states that complete at once (no database, no processes), its interpreter events mapped to the AWS history
 * events of a Standard execution (lib/core/projection.ts), counted, and compared with the projection.
 */
import '../../lib/adapters/local/polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import { loadRunDefinition, taskFunctions } from '../../lib/adapters/local/workflow-definition.js';
import {
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENT_LIMIT,
  type HistoryCount,
  HistoryCounter,
  projectHistory,
  type RunShape,
} from '../../lib/core/projection.js';
import { type FigureResult, measured, unavailable } from '../lib/report.js';
import { round } from '../lib/stats.js';

/** SendCommand takes ≤ 50 instances: the runner's batches, invisible to the workflow. */
const SSM_BATCH = 50;

/**
 * Runs the workflow for `workloads` × `reps` with instant Task states. run-command's effect is reduced to
 * what the workflow sees (the step completes) plus the number of SSM commands it would send.
 */
export async function instantRun(
  hosts: number,
  workloads: number,
  reps: number,
): Promise<HistoryCount & { sendCommands: number; wallMs: number }> {
  const definition = loadRunDefinition();
  let sendCommands = 0;
  const handlers: Record<string, (input: { Payload: Record<string, unknown> }) => unknown> = {};
  for (const [state, fn] of taskFunctions(definition)) {
    handlers[state] = ({ Payload }) => {
      if (fn.includes('PlanRun')) {
        const items = Array.from({ length: workloads }, (_, w) => ({
          name: `w${w + 1}`,
          reps: Array.from({ length: reps }, (_, r) => r + 1),
        }));
        return { Payload: { runId: 'bench', attempt: 1, workloads: items } };
      }
      if (fn.includes('FinalizeRun')) return { Payload: { state: 'FINISHED', counts: {} } };
      if (Payload.phase === 'repetition') sendCommands += Math.ceil(hosts / SSM_BATCH);
      return {};
    };
  }
  const start = performance.now();
  const execution = new StateMachine(definition as never, { validationOptions: { checkArn: false } }).run(
    {},
    {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Id: 'bench' }, Task: { Token: 'bench' } } as never,
    },
  );
  const counter = new HistoryCounter(definition as never);
  for await (const event of execution.eventLogs) counter.add(event);
  await execution.result;
  return { ...counter.count(), sendCommands, wallMs: performance.now() - start };
}

export async function historyFigure(): Promise<FigureResult> {
  const hosts = 1000;
  const workloads = 10;
  const reps = 5;
  const count = await instantRun(hosts, workloads, reps);
  const shape: RunShape = {
    hosts,
    globalSetup: 0,
    globalTeardown: 0,
    workloads: Array.from({ length: workloads }, () => ({ reps, setup: 0, teardown: 0 })),
  };
  const projected = projectHistory(shape, 'lockstep');
  if (!projected.implemented) throw new Error('lockstep must be implemented');
  const hostTasks = hosts * workloads * reps;
  // The largest lockstep plan (one workload) that stays within the budget.
  const perRep = projectHistory({ ...shape, workloads: [{ reps: 2, setup: 0, teardown: 0 }] }, 'lockstep');
  const oneRep = projectHistory({ ...shape, workloads: [{ reps: 1, setup: 0, teardown: 0 }] }, 'lockstep');
  const maxReps =
    perRep.implemented && oneRep.implemented
      ? 1 +
        Math.floor(
          (HISTORY_EVENT_BUDGET - oneRep.largest.historyEvents) /
            (perRep.largest.historyEvents - oneRep.largest.historyEvents),
        )
      : 0;
  const free = projectHistory(shape, 'free');
  const limit = { comparator: '<=', value: HISTORY_EVENT_LIMIT, unit: 'events' } as const;
  const budget = { comparator: '<=', value: HISTORY_EVENT_BUDGET, unit: 'events' } as const;
  return {
    id: 'history',
    title: 'Step Functions history budget',
    method:
      'run.asl.json executed by aws-local-stepfunctions for 1,000 hosts × 10 workloads × 5 repetitions with ' +
      'instant Task states; every interpreter event mapped to AWS Standard history events (STATE_HISTORY and EXECUTION_HISTORY in ' +
      'lib/core/projection.ts) and counted.',
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
      measured('lockstep: most repetitions of one workload within 20,000 events', maxReps, 'reps'),
      unavailable(
        'free: history events in the largest execution',
        'events',
        'not implemented',
        free.implemented ? '' : free.reason,
        budget,
      ),
    ],
    details: {
      hosts,
      workloads,
      reps,
      hostTasks,
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
  };
}
