/**
 * The CI gate's outcome in words, the same in `compare`'s table and in its Markdown: "Gate passed" or
 * "Gate failed", and why.
 */
import type { Gate } from '../../core/report/compare.js';
import { formatPercent } from './numbers.js';

/**
 * @example
 * gateSentence(gate);
 * // { verdict: 'Gate failed', detail: '1 metric(s) regressed significantly by more than 5%: api/latency_ms (+49.8%)' }
 */
export function gateSentence(gate: Gate): { verdict: string; detail: string } {
  const pct = `${gate.thresholdPercent}%`;
  if (gate.problem === 'no shared metric') {
    return {
      verdict: 'Gate failed',
      detail:
        'the two runs share no metric (workload × metric × unit), so nothing was compared; ' +
        'was a workload or metric renamed? Compare runs of the same plan',
    };
  }
  if (gate.problem === 'no testable metric') {
    return {
      verdict: 'Gate failed',
      detail:
        'no shared metric has 2 values on each side, so the t-test could judge none; ' +
        'run more repetitions or hosts',
    };
  }
  if (gate.failures.length > 0) {
    const names = gate.failures.map((f) => `${f.workload}/${f.metric} (${formatPercent(f.changePercent)})`);
    return {
      verdict: 'Gate failed',
      detail: `${gate.failures.length} metric(s) regressed significantly by more than ${pct}: ${names.join(', ')}`,
    };
  }
  return {
    verdict: 'Gate passed',
    detail: `no metric regressed significantly by more than ${pct} (${gate.tested} compared).`,
  };
}
