/**
 * Builds the `SET` assignments of an UpdateExpression from a record of fields, skipping undefined ones,
 * with every name and value as a placeholder (attribute names such as `status` or `state` are reserved).
 */
export type Placeholders = { names: Record<string, string>; values: Record<string, unknown> };

/**
 * @example
 * const p = { names: {}, values: {} };
 * setAssignments({ exitCode: 0, error: undefined }, p); // ['#exitCode = :exitCode']
 */
export function setAssignments(
  fields: Readonly<Record<string, unknown>>,
  placeholders: Placeholders,
): string[] {
  const sets: string[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    placeholders.names[`#${field}`] = field;
    placeholders.values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  return sets;
}
