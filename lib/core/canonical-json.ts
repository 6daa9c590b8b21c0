/**
 * Canonical JSON: one text per value whatever the order its keys were set in, for hashes (the plan's
 * identity) and files people diff. Its own module, free of the plan schema, so the report and export
 * code that uses it does not load zod.
 */

/**
 * JSON with object keys sorted at every level, so equal values always serialise to equal text
 * (hashes, exports, diffs). `undefined` properties are dropped as JSON.stringify drops them.
 * @example
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, current: unknown) => {
    if (!isRecord(current)) return current;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(current).sort()) sorted[key] = current[key];
    return sorted;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
