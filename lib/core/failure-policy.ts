/**
 * The plan's failure policy as pure decisions, so the workflow, the local engine and the tests agree on
 * when a step stops a run. Setups only stop it when no host is left (failed hosts are excluded by the
 * caller); teardowns never do: their failures are recorded, and stopping would leave hosts dirty.
 */
import type { Plan } from './plan.js';
import type { Phase } from './run.js';
import type { TaskCounts } from './task-state.js';

export type StepOutcome = {
  readonly ok: boolean;
  /** The plan's failFast fired: the caller skips the remaining repetitions and workloads. */
  readonly failFast: boolean;
  readonly reason?: string;
};

export type StepResult = {
  readonly hostsTotal: number;
  readonly hostsFailed: number;
  readonly policy: Plan['failurePolicy'];
  readonly phase: Phase;
};

function percent(part: number, total: number): string {
  return `${Math.round((part / total) * 1000) / 10}%`;
}

/**
 * Decides whether a workflow step that ran on `hostsTotal` hosts, `hostsFailed` of them failing,
 * lets the run go on. A step with no host at all is not ok (except a teardown): nothing could run.
 * @throws RangeError when the counts are not 0 <= hostsFailed <= hostsTotal integers
 * @example
 * stepOutcome({ hostsTotal: 4, hostsFailed: 3, policy: { failFast: false, maxFailedPercent: 50 }, phase: 'repetition' });
 * // { ok: false, failFast: false, reason: '3 of 4 hosts failed (75%) > maxFailedPercent 50' }
 */
export function stepOutcome({ hostsTotal, hostsFailed, policy, phase }: StepResult): StepOutcome {
  if (
    !Number.isInteger(hostsTotal) ||
    !Number.isInteger(hostsFailed) ||
    hostsFailed < 0 ||
    hostsFailed > hostsTotal
  ) {
    throw new RangeError(`invalid host counts: ${hostsFailed} failed of ${hostsTotal}`);
  }
  if (phase === 'teardown' || phase === 'globalTeardown') return { ok: true, failFast: false };
  if (hostsTotal === 0) return { ok: false, failFast: false, reason: 'no hosts left to run on' };

  if (phase === 'setup' || phase === 'globalSetup') {
    return hostsFailed === hostsTotal
      ? {
          ok: false,
          failFast: false,
          reason: `all ${hostsTotal} hosts failed ${phase === 'setup' ? 'setup' : 'global setup'}`,
        }
      : { ok: true, failFast: false };
  }

  if (policy.failFast && hostsFailed > 0) {
    return {
      ok: false,
      failFast: true,
      reason: `${hostsFailed} of ${hostsTotal} hosts failed and failFast is set`,
    };
  }
  const failedPercent = (hostsFailed / hostsTotal) * 100;
  if (failedPercent > policy.maxFailedPercent) {
    return {
      ok: false,
      failFast: false,
      reason: `${hostsFailed} of ${hostsTotal} hosts failed (${percent(hostsFailed, hostsTotal)}) > maxFailedPercent ${policy.maxFailedPercent}`,
    };
  }
  return { ok: true, failFast: false };
}

/**
 * Whether a run's tasks include failures (FAILED or CANCELLED). The caller decides the final state.
 * @example
 * runVerdict({ ...emptyCounts(), completed: 4, failed: 1 }); // { hasFailures: true }
 */
export function runVerdict(counts: TaskCounts): { hasFailures: boolean } {
  return { hasFailures: counts.failed + counts.cancelled > 0 };
}
