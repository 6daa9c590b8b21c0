/**
 * The one duration syntax of plans as a zod schema: `timeouts`, a workload's `timeout` and every
 * duration-like plugin option (fio `runtime`, sysbench `time`, stress-ng `timeout`, iperf3 `duration` and
 * `linger`) accept the same "10m", "1h30m", "500ms" or a number of seconds, and report the same errors.
 * Values are normalised to seconds here, so a stored plan carries numbers only.
 */
import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { describeValue } from './value-description.js';

const HINT = 'write a number of seconds or e.g. 500ms, 30s, 10m, 1h30m';

export type DurationLimits = {
  /** The longest duration accepted, in seconds. */
  readonly maxSeconds: number;
  /** The tool counts in whole seconds (fio --runtime, sysbench --time, iperf3 -t): 1.5s is refused. */
  readonly wholeSeconds?: boolean;
};

/**
 * A duration longer than 0s and at most `maxSeconds`, as seconds. Issues carry a `hint` in their params,
 * which the plan's error formatter shows.
 * @example
 * durationSchema({ maxSeconds: 86_400, wholeSeconds: true }).parse('2m'); // 120
 * durationSchema({ maxSeconds: 172_800 }).parse(0.5); // 0.5
 * durationSchema({ maxSeconds: 60 }).safeParse('2m').success; // false: "must be at most 1m"
 */
export function durationSchema(limits: DurationLimits) {
  return z.unknown().transform((value, ctx): number => {
    const issue = (message: string, hint?: string) =>
      ctx.addIssue({ code: 'custom', message, params: hint === undefined ? {} : { hint } });
    if (value === undefined) {
      issue('is required', 'expected a duration such as 30s or 10m');
      return z.NEVER;
    }
    if (typeof value !== 'number' && typeof value !== 'string') {
      issue(`expected a duration such as 30s, 10m or a number of seconds, got ${describeValue(value)}`, HINT);
      return z.NEVER;
    }
    let seconds: number;
    try {
      seconds = parseDuration(value);
    } catch (error) {
      issue((error as Error).message, HINT);
      return z.NEVER;
    }
    if (seconds <= 0) issue('must be longer than 0s');
    else if (seconds > limits.maxSeconds) issue(`must be at most ${formatDuration(limits.maxSeconds)}`);
    else if (limits.wholeSeconds && !Number.isInteger(seconds))
      issue(`must be whole seconds (the tool counts in seconds), got ${formatDuration(seconds)}`);
    return seconds;
  });
}
