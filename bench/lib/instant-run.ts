/**
 * The real run.asl.json in aws-local-stepfunctions with Task states that complete at once (no database, no
 * processes), its interpreter events mapped to AWS history events per execution by `HistoryCounter`. The
 * history figure (bench/figures/history.ts) and the projection tests (test/core/projection/history.test.ts) both
 * count with it.
 */
import '../../lib/adapters/local/polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import { loadRunDefinition, taskFunctions } from '../../lib/adapters/local/workflow-definition.js';
import { type HistoryCount, HistoryCounter } from '../../lib/core/projection/history-counter.js';

/** What the simulated PlanRun returns: the workloads to iterate and, for free, the hosts. */
export type InstantPlan = {
  readonly workloads: readonly { readonly name: string; readonly reps: readonly number[] }[];
  readonly strategy: 'lockstep' | 'free';
  readonly hosts: readonly string[];
  /** free: hosts at once. Counts do not depend on it; the interpreter is faster one host at a time. */
  readonly hostConcurrency: number;
};

export type InstantHistory = HistoryCount & {
  /** The run's own execution, and in free each host's child execution (in host order). */
  readonly parent: HistoryCount;
  readonly children: readonly HistoryCount[];
};

/**
 * Runs the workflow for `plan`. Every run-command payload goes to `onStep`, which may throw to fail that
 * step (an error whose `name` the ASL catches, e.g. Fleetbench.StopRequested).
 * @example
 * const { historyEvents } = await instantHistory({ workloads: [{ name: 'w', reps: [1, 2] }], strategy: 'lockstep', hosts: [], hostConcurrency: 1 });
 */
export async function instantHistory(
  plan: InstantPlan,
  onStep: (payload: Record<string, unknown>) => void = () => undefined,
): Promise<InstantHistory> {
  const definition = loadRunDefinition();
  const handlers: Record<string, (input: { Payload: Record<string, unknown> }) => unknown> = {};
  for (const [state, fn] of taskFunctions(definition)) {
    handlers[state] = ({ Payload }) => {
      if (fn.includes('PlanRun')) return { Payload: { runId: 'instant', attempt: 1, ...plan } };
      if (fn.includes('FinalizeRun')) return { Payload: { state: 'FINISHED', counts: {} } };
      onStep(Payload);
      return {};
    };
  }
  const execution = new StateMachine(definition as never, { validationOptions: { checkArn: false } }).run(
    {},
    {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: { Execution: { Id: 'instant' }, Task: { Token: 'instant' } } as never,
    },
  );
  const counter = new HistoryCounter(definition as never);
  for await (const event of execution.eventLogs) counter.add(event);
  await execution.result;
  return { ...counter.count(), ...counter.executions() };
}
