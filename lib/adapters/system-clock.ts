/** The real clock, for the Lambdas and the local engine; tests pass their own. */
import type { Clock } from '../core/ports.js';

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
