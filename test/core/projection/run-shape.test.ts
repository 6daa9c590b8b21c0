import { describe, expect, it } from 'vitest';
import { estimatePlan } from '../../../lib/core/estimate.js';
import { parsePlan } from '../../../lib/core/plan.js';
import { plugins } from '../../../lib/core/plugins/index.js';
import { projectRunHistory } from '../../../lib/core/projection/history-projection.js';
import { runShape } from '../../../lib/core/projection/run-shape.js';

const SWEEP = `name: sweep
hosts: { local: 3 }
repetitions: 2
workloads:
  - name: disk
    plugin: fio
    matrix: { bs: [4k, 64k], iodepth: [1, 32] }
    warmup: 1
    setup: ["mkdir -p d"]
`;

/** The same run written out by hand: one workload per variant, the warm-up as one more repetition. */
const WRITTEN_OUT = `name: sweep
hosts: { local: 3 }
repetitions: 3
workloads:
${['4k', '64k']
  .flatMap((bs) =>
    [1, 32].map(
      (iodepth) =>
        `  - { name: d-${bs}-${iodepth}, plugin: fio, options: { bs: ${bs}, iodepth: ${iodepth} }, setup: ["mkdir -p d"] }`,
    ),
  )
  .join('\n')}
`;

describe('Function: runShape', () => {
  it('counts each variant of a matrix as a workload and its warm-ups as repetitions', () => {
    // Act
    const shape = runShape(parsePlan(SWEEP, 'plan.yaml', plugins));

    // Assess
    expect(shape.workloads).toStrictEqual(Array(4).fill({ reps: 3, setup: 1, teardown: 0 }));
  });

  it('projects the history of a matrix as that of its variants written out', () => {
    // Act
    const sweep = projectRunHistory(parsePlan(SWEEP, 'plan.yaml', plugins));
    const writtenOut = projectRunHistory(parsePlan(WRITTEN_OUT, 'plan.yaml', plugins));

    // Assess
    expect(sweep.largest.historyEvents).toBe(writtenOut.largest.historyEvents);
    expect(sweep.total.stateTransitions).toBe(writtenOut.total.stateTransitions);
  });
});

describe('Function: estimatePlan', () => {
  it('counts the tasks of every variant, warm-ups among them, and lists the variants', () => {
    // Act
    const estimate = estimatePlan(parsePlan(SWEEP, 'plan.yaml', plugins));

    // Assess
    expect(estimate).toMatchObject({ workloads: 4, hosts: 3, tasks: 36, warmupTasks: 12 });
    expect(estimate.variants).toStrictEqual([
      {
        workload: 'disk',
        names: [
          'disk[bs=4k,iodepth=1]',
          'disk[bs=4k,iodepth=32]',
          'disk[bs=64k,iodepth=1]',
          'disk[bs=64k,iodepth=32]',
        ],
      },
    ]);
  });
});
