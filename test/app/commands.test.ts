import { describe, expect, it } from 'vitest';
import { resultsToApply } from '../../lib/app/commands.js';
import type { CommandRecord, InvocationResult } from '../../lib/core/run.js';

const hosts = [
  { id: 'i-1', name: 'h1' },
  { id: 'i-2', name: 'h2' },
];

function command(overrides: Partial<CommandRecord> = {}): CommandRecord {
  return {
    runId: 'r',
    commandId: 'a1.repetition.cpu.1',
    phase: 'repetition',
    workload: 'cpu',
    rep: 1,
    hosts,
    taskToken: 't',
    cancellable: true,
    sentAt: '2026-11-23T10:00:00.000Z',
    status: 'SENT',
    hostCount: 2,
    answered: 1,
    providerIds: ['ssm-1'],
    outcomes: { 'i-1': { status: 'Success' } },
    ...overrides,
  };
}

const results: InvocationResult[] = hosts.map((h) => ({
  runId: 'r',
  commandId: 'a1.repetition.cpu.1',
  hostId: h.id,
  status: 'Success',
}));

describe('Function: resultsToApply', () => {
  it('applies the results of hosts that have no outcome yet', () => {
    expect(resultsToApply(command(), results)).toEqual([results[1]]);
  });

  it('applies one result again when every host has an outcome but the step is still open', () => {
    const all = command({ outcomes: { 'i-1': { status: 'Success' }, 'i-2': { status: 'Success' } } });
    expect(resultsToApply(all, results)).toEqual([results[0]]);
  });

  it('applies nothing to a closed command', () => {
    expect(resultsToApply(command({ status: 'DONE' }), results)).toEqual([]);
  });
});
