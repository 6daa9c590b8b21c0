/**
 * JSON for files people diff and scripts hash: keys sorted at every level (canonicalJson), indented two
 * spaces, one trailing newline. The same value always gives the same bytes, so two exports of a run are
 * byte-identical and `report --format json` is stable across versions that only add fields.
 * Non-finite numbers (an infinite t statistic) become null, as JSON has no Infinity.
 */
import { canonicalJson } from '../canonical-json.js';

/**
 * @example
 * stableJson({ b: 1, a: { d: [2], c: null } });
 * // '{\n  "a": {\n    "c": null,\n    "d": [\n      2\n    ]\n  },\n  "b": 1\n}\n'
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`;
}
