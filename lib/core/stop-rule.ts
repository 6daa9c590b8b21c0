/**
 * The stop rule, once for every path that asks for a stop (the stop-run use case, `fleetbench stop` on
 * either target) and for the catalog that records it: a stop applies to a run that exists and has not
 * ended, and the first request stands, except that a forced one escalates a graceful one (Ctrl+C twice,
 * then `stop --force`). The catalog writes the request under the condition this rule describes, so two
 * concurrent requests still leave exactly the one the rule keeps.
 */
import { isTerminal } from './controller-state.js';
import { RunNotFoundError, RunStateError } from './errors.js';
import type { CatalogEntry, StopRequest, Target } from './run.js';

/**
 * Whether a new request replaces the one the run holds (none, or a graceful one a forced one escalates).
 * @example
 * replacesStopRequest(undefined, { force: false }); // true
 * replacesStopRequest({ force: false }, { force: true }); // true: escalation
 * replacesStopRequest({ force: false }, { force: false }); // false: the first request stands
 */
export function replacesStopRequest(
  previous: Pick<StopRequest, 'force'> | undefined,
  incoming: Pick<StopRequest, 'force'>,
): boolean {
  return previous === undefined || (incoming.force && !previous.force);
}

/**
 * Refuses a stop of a run that is not there or has already ended, with the message and exit code every
 * path gives (`target` names the option that shows the run).
 * @throws RunNotFoundError, RunStateError
 * @example
 * assertStoppable(runId, await catalog.get(runId), 'local'); // narrows the entry to CatalogEntry
 */
export function assertStoppable(
  runId: string,
  entry: CatalogEntry | undefined,
  target: Target,
): asserts entry is CatalogEntry {
  if (!entry) throw new RunNotFoundError(runId);
  if (isTerminal(entry.state)) {
    throw new RunStateError(`run ${runId} already ended ${entry.state}: nothing to stop`, {
      hint: `see it with \`fleetbench show ${runId}${target === 'aws' ? ' --target aws' : ''}\``,
    });
  }
}
