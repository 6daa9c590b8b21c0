/**
 * The names EC2 hosts get in a run. A host's name goes into every task key (`host::workload::rep`), the
 * journal's sort keys and the reports, so it must be readable, stable from one run to the next, unique in
 * the run, and within the plan's host-name alphabet (plan.ts `HOST_NAME`: a letter or digit, then letters,
 * digits, ".", "_" or "-", at most 63 characters). Pure functions, no SDK.
 */
import { createHash } from 'node:crypto';

/** The plan's host-name alphabet (plan.ts `HOST_NAME`). */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MAX_NAME = 63;

/**
 * A Name tag in the host-name alphabet: every run of other characters becomes one "-", leading and trailing
 * punctuation goes, and the result is cut to 63 characters; undefined when nothing usable is left.
 * @example
 * sanitizeHostName('web server #1'); // 'web-server-1'
 * sanitizeHostName('  ✓  '); // undefined
 */
export function sanitizeHostName(raw: string | undefined): string | undefined {
  const name = (raw ?? '')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_NAME)
    .replace(/[._-]+$/, '');
  return HOST_NAME.test(name) ? name : undefined;
}

/**
 * Names a run's instances: the sanitized Name tag, else the instance id. Instances sharing a name get their
 * id appended (`db-i-0123456789abcdef0`), which depends on nothing but the instance, so the same fleet is
 * named the same way in every run whatever the order EC2 lists it in. Anything still ambiguous falls back
 * to ids, which are unique.
 * @example
 * nameInstances([{ id: 'i-1', tagName: 'web' }, { id: 'i-2', tagName: 'db' }, { id: 'i-3', tagName: 'db' }]);
 * // ['web', 'db-i-2', 'db-i-3']
 */
export function nameInstances(instances: readonly { id: string; tagName?: string }[]): string[] {
  const base = instances.map((i) => sanitizeHostName(i.tagName) ?? i.id);
  const counts = countOf(base);
  const named = base.map((name, index) => {
    const id = instances[index]?.id ?? '';
    if (name === id || counts.get(name) === 1) return name;
    const suffix = `-${id}`;
    return `${name.slice(0, MAX_NAME - suffix.length).replace(/[._-]+$/, '')}${suffix}`;
  });
  const final = countOf(named);
  return named.map((name, index) =>
    final.get(name) === 1 && HOST_NAME.test(name) ? name : (instances[index]?.id ?? name),
  );
}

function countOf(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/**
 * The name (and Name tag) of the `index`-th (1-based) host a run provisions: `fleetbench-<runId>-<n>`, `n`
 * zero-padded to the width of `count` so hosts sort in launch order. A resume that launches a new fleet
 * gives the new instances the same names, so their tasks continue where the old ones stopped. A run id too
 * long for the 63-character limit is shortened, keeping a hash of it so two runs never share names.
 * @example
 * provisionedHostName('cpu-20250102-030405-ab12', 3, 12); // 'fleetbench-cpu-20250102-030405-ab12-03'
 */
export function provisionedHostName(runId: string, index: number, count: number): string {
  const n = String(index).padStart(String(count).length, '0');
  const full = `fleetbench-${runId}-${n}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  const room = MAX_NAME - `fleetbench--${hash}-${n}`.length;
  return `fleetbench-${runId.slice(0, room).replace(/-+$/, '')}-${hash}-${n}`;
}
