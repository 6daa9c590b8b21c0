/**
 * The two formats that name a run's steps, in one home. A command id, `a<attempt>.<phase>[.<workload>
 * [.<rep>]][.<host>]`, is the journal key of a step (`CMD#<id>`) and the SSM comment, so a retried Lambda
 * finds the command it already sent and resume (a new attempt) never meets the old ones. A policy mark,
 * `a<attempt>.*` or `a<attempt>.<workload>[.<host>]`, is what on-invocation-status adds to the catalog's
 * `policyFailures` when fail-fast or maxFailedPercent ends work, and what run-command looks for before
 * starting a step: built and matched here, so the writer and the reader cannot drift apart (if they did,
 * fail-fast and maxFailedPercent would silently stop ending anything). Workload names have no dot (the
 * plan schema refuses them); a matrix variant's name (`disk[ratio=0.5]`, workload-variants.ts) may have dots
 * only inside its brackets, which hold no `]`, so it is read up to its closing bracket. Neither format is
 * ambiguous; a host name may have dots, and comes last.
 */
import { PHASES, type Phase } from './run.js';

/** The step a command runs: which attempt, which phase, and where it applies. */
export type CommandStep = {
  readonly attempt: number;
  readonly phase: Phase;
  /** The workload of a setup, repetition or teardown. */
  readonly workload?: string;
  /** The repetition, 1-based. */
  readonly rep?: number;
  /** The host of a step in strategy free (one host's own sequence). */
  readonly host?: string;
};

/**
 * The id of a step's command: what is undefined is left out.
 * @example
 * commandIdFor({ attempt: 2, phase: 'repetition', workload: 'cpu', rep: 3 }); // 'a2.repetition.cpu.3'
 * commandIdFor({ attempt: 1, phase: 'setup', workload: 'cpu', host: 'h1' }); // 'a1.setup.cpu.h1'
 */
export function commandIdFor(step: CommandStep): string {
  const { attempt, phase, workload, rep, host } = step;
  return [`a${attempt}`, phase, workload, rep, host].filter((p) => p !== undefined).join('.');
}

/**
 * The step a command id names, or undefined for an id commandIdFor cannot have made.
 * @example
 * parseCommandId('a2.repetition.cpu.3.10.0.0.7'); // { attempt: 2, phase: 'repetition', workload: 'cpu', rep: 3, host: '10.0.0.7' }
 */
export function parseCommandId(commandId: string): CommandStep | undefined {
  const [a, phase, ...parts] = commandId.split('.');
  const attempt = /^a(\d+)$/.exec(a ?? '')?.[1];
  if (attempt === undefined || !PHASES.includes(phase as Phase)) return undefined;
  const step: { -readonly [K in keyof CommandStep]: CommandStep[K] } = {
    attempt: Number(attempt),
    phase: phase as Phase,
  };
  let rest = parts.join('.');
  /** Takes the next part off `rest`: up to the next dot, or one that `pattern` matches whole. */
  const take = (pattern: RegExp): string | undefined => {
    const match = pattern.exec(rest);
    if (!match?.[1]) return undefined;
    rest = rest.slice(match[0].length);
    return match[1];
  };
  if (phase === 'setup' || phase === 'repetition' || phase === 'teardown') {
    const workload = take(WORKLOAD_PART);
    if (workload === undefined) return undefined;
    step.workload = workload;
  }
  if (phase === 'repetition') {
    const rep = take(REP_PART);
    if (rep === undefined) return undefined;
    step.rep = Number(rep);
  }
  if (rest.length > 0) step.host = rest;
  return step;
}

/** A workload in a command id: a name without dots, or a variant with its `[...]` read whole. */
const WORKLOAD_PART = /^([^.[\]]+(?:\[[^\]]*\])?)(?:\.|$)/;
const REP_PART = /^([1-9]\d*)(?:\.|$)/;

/**
 * The attempt a command id belongs to (`a2.repetition.cpu.1` → 2).
 * @example
 * commandAttempt('a2.globalSetup'); // 2
 */
export function commandAttempt(commandId: string): number | undefined {
  const match = /^a(\d+)\./.exec(commandId);
  return match ? Number(match[1]) : undefined;
}

/**
 * Whether a command was sent by `attempt` (the commands of earlier attempts are history).
 * @example
 * isOfAttempt('a2.repetition.cpu.1', 2); // true
 * isOfAttempt('a12.repetition.cpu.1', 1); // false
 */
export function isOfAttempt(commandId: string, attempt: number): boolean {
  return commandId.startsWith(`a${attempt}.`);
}

/** The mark fail-fast leaves: every cancellable step of the attempt ends. */
function failFastMark(attempt: number): string {
  return `a${attempt}.*`;
}

/** The mark maxFailedPercent leaves: the rest of the workload ends (in free, only on that host). */
function workloadMark(attempt: number, workload: string | undefined, host: string | undefined): string {
  return `a${attempt}.${workload ?? ''}${host === undefined ? '' : `.${host}`}`;
}

/**
 * The catalog mark (CatalogEntry.policyFailures) of a repetition the failure policy ended: fail-fast ends
 * every cancellable step of the attempt (`a<n>.*`), otherwise the rest of that workload (`a<n>.<workload>`),
 * in free only on the step's host (`a<n>.<workload>.<host>`). Other phases leave no mark.
 * @example
 * policyFailureMark(2, { phase: 'repetition', workload: 'cpu' }, false, 'h1'); // 'a2.cpu.h1'
 */
export function policyFailureMark(
  attempt: number,
  command: { readonly phase: Phase; readonly workload?: string },
  failFast: boolean,
  host?: string,
): string | undefined {
  if (command.phase !== 'repetition') return undefined;
  if (failFast) return failFastMark(attempt);
  return workloadMark(attempt, command.workload, host);
}

/**
 * Which mark, if any, ends a step before it starts: fail-fast ends every cancellable step of the attempt,
 * a workload's mark only its repetitions (on the marked host in free: another host's failures end nothing).
 * @example
 * policyMarkEnding(['a2.cpu'], { attempt: 2, phase: 'repetition', workload: 'cpu', rep: 3 }); // 'workload'
 */
export function policyMarkEnding(
  marks: readonly string[],
  step: CommandStep,
): 'failFast' | 'workload' | undefined {
  const set = new Set(marks);
  if (set.has(failFastMark(step.attempt))) return 'failFast';
  if (step.phase === 'repetition' && set.has(workloadMark(step.attempt, step.workload, step.host))) {
    return 'workload';
  }
  return undefined;
}
