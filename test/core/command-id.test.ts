import { describe, expect, it } from 'vitest';
import type { CommandStep } from '../../lib/core/command-id.js';
import {
  commandAttempt,
  commandIdFor,
  isOfAttempt,
  parseCommandId,
  policyFailureMark,
  policyMarkEnding,
} from '../../lib/core/command-id.js';

describe('Function: commandIdFor', () => {
  it.each([
    [{ attempt: 1, phase: 'globalSetup' }, 'a1.globalSetup'],
    [{ attempt: 2, phase: 'setup', workload: 'cpu' }, 'a2.setup.cpu'],
    [{ attempt: 2, phase: 'repetition', workload: 'cpu', rep: 3 }, 'a2.repetition.cpu.3'],
    [{ attempt: 1, phase: 'setup', workload: 'cpu', host: 'h1' }, 'a1.setup.cpu.h1'],
    [
      { attempt: 1, phase: 'repetition', workload: 'cpu', rep: 12, host: '10.0.0.7' },
      'a1.repetition.cpu.12.10.0.0.7',
    ],
    [{ attempt: 3, phase: 'globalTeardown' }, 'a3.globalTeardown'],
  ] as const)('names the step %o %s', (step, id) => {
    expect(commandIdFor(step)).toBe(id);
  });

  it('is read back by parseCommandId, host names with dots included', () => {
    // Prepare
    const steps: CommandStep[] = [
      { attempt: 1, phase: 'globalSetup' },
      { attempt: 4, phase: 'teardown', workload: 'disk', host: 'db.example.internal' },
      { attempt: 2, phase: 'repetition', workload: 'cpu', rep: 7, host: '10.0.0.7' },
      { attempt: 2, phase: 'repetition', workload: 'cpu', rep: 7 },
    ];

    // Act
    const parsed = steps.map((step) => parseCommandId(commandIdFor(step)));

    // Assess
    expect(parsed).toStrictEqual(steps);
  });
});

describe('Function: parseCommandId', () => {
  it.each([
    '',
    'x1.globalSetup',
    'a1.unknown',
    'a1.repetition.cpu',
    'a1.repetition.cpu.0',
    'a1.setup',
  ])('refuses %j, which commandIdFor cannot make', (id) => {
    expect(parseCommandId(id)).toBeUndefined();
  });
});

describe('Function: commandAttempt / isOfAttempt', () => {
  it('reads the attempt and matches it whole, not as a prefix of a longer number', () => {
    expect(commandAttempt('a12.repetition.cpu.1')).toBe(12);
    expect(commandAttempt('cmd-1')).toBeUndefined();
    expect(isOfAttempt('a12.repetition.cpu.1', 12)).toBe(true);
    expect(isOfAttempt('a12.repetition.cpu.1', 1)).toBe(false);
  });
});

describe('Function: policyMarkEnding', () => {
  it('finds the mark policyFailureMark left for the steps it ends, and no other', () => {
    // Prepare: maxFailedPercent ended cpu on h1 (free) in attempt 2
    const marks = [policyFailureMark(2, { phase: 'repetition', workload: 'cpu' }, false, 'h1') ?? ''];
    const rep = { attempt: 2, phase: 'repetition', workload: 'cpu', rep: 3 } as const;

    // Act / Assess
    expect(policyMarkEnding(marks, { ...rep, host: 'h1' })).toBe('workload');
    expect(policyMarkEnding(marks, { ...rep, host: 'h2' })).toBeUndefined();
    expect(policyMarkEnding(marks, rep)).toBeUndefined();
    expect(policyMarkEnding(marks, { ...rep, attempt: 3, host: 'h1' })).toBeUndefined();
    expect(
      policyMarkEnding(marks, { attempt: 2, phase: 'teardown', workload: 'cpu', host: 'h1' }),
    ).toBeUndefined();
  });

  it('ends every step of the attempt once fail-fast left its mark', () => {
    const marks = [policyFailureMark(2, { phase: 'repetition', workload: 'cpu' }, true) ?? ''];

    expect(policyMarkEnding(marks, { attempt: 2, phase: 'setup', workload: 'disk' })).toBe('failFast');
    expect(policyMarkEnding(marks, { attempt: 2, phase: 'repetition', workload: 'disk', rep: 1 })).toBe(
      'failFast',
    );
    expect(policyMarkEnding(marks, { attempt: 3, phase: 'setup', workload: 'disk' })).toBeUndefined();
  });
});

describe('Function: policyFailureMark', () => {
  it.each([
    ['repetition', false, 'a2.cpu'],
    ['repetition', true, 'a2.*'],
    ['setup', true, undefined],
    ['teardown', false, undefined],
  ] as const)('marks a failed %s (fail-fast %s) as %s', (phase, failFast, mark) => {
    expect(policyFailureMark(2, { phase, workload: 'cpu' }, failFast)).toBe(mark);
  });

  it("scopes a free host's mark to that host, but not fail-fast", () => {
    expect(policyFailureMark(2, { phase: 'repetition', workload: 'cpu' }, false, 'host-2')).toBe(
      'a2.cpu.host-2',
    );
    expect(policyFailureMark(2, { phase: 'repetition', workload: 'cpu' }, true, 'host-2')).toBe('a2.*');
  });
});
