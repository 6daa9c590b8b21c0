import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HOST_NAME,
  nameInstances,
  provisionedHostName,
  sanitizeHostName,
} from '../../../lib/adapters/aws/ec2-host-names.js';
import { validatePlanObject } from '../../../lib/core/plan.js';
import { plugins } from '../../../lib/core/plugins/index.js';
import { taskKey } from '../../../lib/core/task-key.js';

/** The plan's own validation of host names: `hosts: {local: [names]}` accepts exactly its alphabet. */
function planAccepts(names: readonly string[]): boolean {
  try {
    validatePlanObject(
      {
        name: 'names',
        hosts: { local: [...names] },
        workloads: [{ name: 'w', plugin: 'shell', options: { command: 'true' } }],
      },
      'test',
      plugins,
    );
    return true;
  } catch {
    return false;
  }
}

describe('Function: sanitizeHostName', () => {
  it.each([
    ['web-1', 'web-1'],
    ['web server #1', 'web-server-1'],
    ['perf::db', 'perf-db'],
    ['Ångström', 'Angstrom'],
    ['-leading.dots.', 'leading.dots'],
    ['', undefined],
    ['   ', undefined],
    ['✓✓', undefined],
    [undefined, undefined],
  ])('turns %j into %j', (raw, expected) => {
    expect(sanitizeHostName(raw)).toBe(expected);
  });

  it('always gives a name the plan accepts and a task key can hold, or nothing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (raw) => {
        const name = sanitizeHostName(raw);
        if (name === undefined) return;
        expect(name).toMatch(HOST_NAME);
        expect(planAccepts([name])).toBe(true);
        expect(() => taskKey(name, 'w', 1)).not.toThrow();
      }),
    );
  });
});

describe('Function: nameInstances', () => {
  it('uses the Name tag, the id without one, and appends the id to shared names', () => {
    expect(
      nameInstances([
        { id: 'i-1', tagName: 'web' },
        { id: 'i-2' },
        { id: 'i-3', tagName: 'db' },
        { id: 'i-4', tagName: 'db' },
      ]),
    ).toEqual(['web', 'i-2', 'db-i-3', 'db-i-4']);
  });

  it('treats names that differ only before sanitizing as shared', () => {
    expect(
      nameInstances([
        { id: 'i-1', tagName: 'db 1' },
        { id: 'i-2', tagName: 'db#1' },
      ]),
    ).toEqual(['db-1-i-1', 'db-1-i-2']);
  });

  it('falls back to ids when a name collides with another instance id', () => {
    expect(nameInstances([{ id: 'i-1', tagName: 'i-2' }, { id: 'i-2' }])).toEqual(['i-2-i-1', 'i-2']);
  });

  it('gives unique plan-valid names for any fleet, the same in any order', () => {
    const fleet = fc.uniqueArray(
      fc.record({
        id: fc.stringMatching(/^i-[0-9a-f]{17}$/),
        tagName: fc.option(fc.oneof(fc.constantFrom('web', 'db', 'db 1', 'db#1'), fc.string()), {
          nil: undefined,
        }),
      }),
      { selector: (i) => i.id, maxLength: 30 },
    );
    fc.assert(
      fc.property(fleet, (instances) => {
        const input = instances.map((i) =>
          i.tagName === undefined ? { id: i.id } : { id: i.id, tagName: i.tagName },
        );
        const names = nameInstances(input);
        expect(new Set(names).size).toBe(names.length);
        expect(planAccepts(names)).toBe(names.length > 0);
        const reversed = nameInstances([...input].reverse()).reverse();
        expect(reversed).toEqual(names);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Function: provisionedHostName', () => {
  it('is fleetbench-<runId>-<n>, padded to the fleet size so hosts sort in launch order', () => {
    expect(provisionedHostName('cpu-20250102-030405-ab12', 3, 7)).toBe(
      'fleetbench-cpu-20250102-030405-ab12-3',
    );
    expect(provisionedHostName('cpu-20250102-030405-ab12', 3, 12)).toBe(
      'fleetbench-cpu-20250102-030405-ab12-03',
    );
    expect(provisionedHostName('cpu-20250102-030405-ab12', 1000, 1000)).toBe(
      'fleetbench-cpu-20250102-030405-ab12-1000',
    );
  });

  it('shortens long run ids but keeps names unique per run and valid', () => {
    const long = `${'a'.repeat(80)}-20250102-030405-ab12`;
    const other = `${'a'.repeat(80)}-20250102-030405-ab13`;
    const name = provisionedHostName(long, 1, 1000);

    expect(name).toMatch(HOST_NAME);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).not.toBe(provisionedHostName(other, 1, 1000));
    expect(planAccepts([name, provisionedHostName(long, 2, 1000)])).toBe(true);
  });
});
