/**
 * How a value a user wrote reads in an error message: strings quoted (and cut short), containers named as
 * YAML users know them. Shared by the plan schema and the option schemas it runs.
 */

/**
 * @example
 * describeValue([1]); // 'a list'
 * describeValue('10x'); // '"10x"'
 * describeValue(undefined); // 'nothing'
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}
