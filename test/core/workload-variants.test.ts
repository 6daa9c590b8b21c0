import { describe, expect, it } from 'vitest';
import {
  commandIdFor,
  parseCommandId,
  policyFailureMark,
  policyMarkEnding,
} from '../../lib/core/command-id.js';
import { parsePlan, planHash, validatePlanObject } from '../../lib/core/plan.js';
import { plugins } from '../../lib/core/plugins/index.js';
import { parseTaskKey, taskKey, taskSortKey } from '../../lib/core/task-key.js';
import {
  baseWorkloadName,
  findRunWorkload,
  isWarmupRep,
  matrixCombinations,
  planWorkloads,
  repetitionNumbers,
  variantName,
} from '../../lib/core/workload-variants.js';

const SWEEP = `name: sweep
hosts: { local: 2 }
repetitions: 3
warmup: 1
workloads:
  - name: cpu
    plugin: cpu-hash
  - name: disk
    plugin: fio
    options: { runtime: 2s, rw: randwrite }
    matrix: { iodepth: [1, 32], bs: [4k, 64k] }
    warmup: 2
    repetitions: 5
`;

describe('Function: matrixCombinations', () => {
  it('takes parameters in name order, the first varying slowest, values in list order', () => {
    // Act
    const combinations = matrixCombinations({ iodepth: [1, 32], bs: ['4k', '64k'] });

    // Assess
    expect(combinations).toStrictEqual([
      { bs: '4k', iodepth: 1 },
      { bs: '4k', iodepth: 32 },
      { bs: '64k', iodepth: 1 },
      { bs: '64k', iodepth: 32 },
    ]);
  });

  it('gives the same combinations however the mapping is ordered', () => {
    expect(matrixCombinations({ b: [1, 2], a: ['x', 'y'], c: [true] })).toStrictEqual(
      matrixCombinations({ c: [true], a: ['x', 'y'], b: [1, 2] }),
    );
  });
});

describe('Function: variantName', () => {
  it.each([
    ['disk', { iodepth: 1, bs: '4k' }, 'disk[bs=4k,iodepth=1]'],
    ['mix', { ratio: 0.5, direct: true }, 'mix[direct=true,ratio=0.5]'],
    ['cpu', {}, 'cpu'],
  ])('names %s with %o as %s, and baseWorkloadName reads the workload back', (workload, values, name) => {
    expect(variantName(workload, values)).toBe(name);
    expect(baseWorkloadName(name)).toBe(workload);
  });
});

describe('Function: planWorkloads', () => {
  it('expands a matrix into variants that run in place of their workload, with the values in the options', () => {
    // Prepare
    const plan = parsePlan(SWEEP, 'plan.yaml', plugins);

    // Act
    const workloads = planWorkloads(plan);

    // Assess
    expect(workloads.map((w) => w.name)).toStrictEqual([
      'cpu',
      'disk[bs=4k,iodepth=1]',
      'disk[bs=4k,iodepth=32]',
      'disk[bs=64k,iodepth=1]',
      'disk[bs=64k,iodepth=32]',
    ]);
    const variant = findRunWorkload(plan, 'disk[bs=64k,iodepth=32]', plugins);
    expect(variant).toMatchObject({
      of: 'disk',
      plugin: 'fio',
      parameters: { bs: '64k', iodepth: 32 },
      options: { bs: '64k', iodepth: 32, rw: 'randwrite', runtime: 2, size: '64m' },
      warmup: 2,
      repetitions: 5,
    });
    expect(workloads[0]).toMatchObject({ of: 'cpu', parameters: {}, warmup: 1, repetitions: 3 });
  });

  it('keeps the matrix as written in the plan snapshot and expands it again to the same variants', () => {
    // Prepare: the snapshot goes through JSON and comes back with its keys in another order, as a store may
    const plan = parsePlan(SWEEP, 'plan.yaml', plugins);
    const reversed = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversed)
        : typeof value === 'object' && value !== null
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversed(v)]),
            )
          : value;

    // Act
    const stored = validatePlanObject(reversed(JSON.parse(JSON.stringify(plan))), 'snapshot', plugins);

    // Assess
    expect(plan.workloads[1]).toMatchObject({
      options: { runtime: '2s', rw: 'randwrite' },
      matrix: { iodepth: [1, 32], bs: ['4k', '64k'] },
    });
    expect(planHash(stored)).toBe(planHash(plan));
    expect(planWorkloads(stored)).toStrictEqual(planWorkloads(plan));
  });

  it('numbers warm-ups first, then the measured repetitions', () => {
    const plan = parsePlan(SWEEP, 'plan.yaml', plugins);
    const variant = findRunWorkload(plan, 'disk[bs=4k,iodepth=1]', plugins);
    if (!variant) throw new Error('the variant exists');

    expect(repetitionNumbers(variant)).toStrictEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(repetitionNumbers(variant).filter((rep) => isWarmupRep(variant, rep))).toStrictEqual([1, 2]);
  });

  it('gives a workload without warmup no warm-ups', () => {
    const plan = parsePlan(SWEEP.replace('warmup: 1\n', ''), 'plan.yaml', plugins);
    expect(findRunWorkload(plan, 'cpu', plugins)).toMatchObject({ warmup: 0, repetitions: 3 });
  });
});

describe('Variant names in the formats that carry workload names', () => {
  const names = ['disk[bs=4k,iodepth=1]', 'mix[ratio=0.5,rw=rand+rw]', 'n[v=-1.5e-7]'];

  it.each(names)('%s survives task keys and sort keys', (name) => {
    // Act
    const key = taskKey('host-1', name, 12);

    // Assess
    expect(parseTaskKey(key)).toStrictEqual({ host: 'host-1', workload: name, rep: 12 });
    expect(taskSortKey({ workload: name, rep: 12, host: 'host-1' })).toBe(`TASK#${name}#0012#host-1`);
    expect(name).not.toMatch(/[#/\s:]/);
  });

  it.each(names)('%s is read back whole from command ids, hosts with dots after it', (name) => {
    // Prepare
    const steps = [
      { attempt: 2, phase: 'repetition', workload: name, rep: 3, host: '10.0.0.7' },
      { attempt: 1, phase: 'teardown', workload: name },
      { attempt: 1, phase: 'setup', workload: name, host: 'db.internal' },
    ] as const;

    // Act
    const parsed = steps.map((step) => parseCommandId(commandIdFor(step)));

    // Assess
    expect(parsed).toStrictEqual(steps);
  });

  it('ends the repetitions of one variant only when maxFailedPercent fires on it', () => {
    // Prepare
    const mark = policyFailureMark(1, { phase: 'repetition', workload: 'disk[bs=4k]' }, false);

    // Act
    const same = policyMarkEnding([mark ?? ''], {
      attempt: 1,
      phase: 'repetition',
      workload: 'disk[bs=4k]',
      rep: 2,
    });
    const other = policyMarkEnding([mark ?? ''], {
      attempt: 1,
      phase: 'repetition',
      workload: 'disk[bs=64k]',
      rep: 2,
    });

    // Assess
    expect(same).toBe('workload');
    expect(other).toBeUndefined();
  });
});
