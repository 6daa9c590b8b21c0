import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/core/errors.js';
import {
  assertRunId,
  isRunId,
  newRunId,
  parseTaskKey,
  taskKey,
  taskSeed,
  taskSortKey,
} from '../../lib/core/task-key.js';

describe('Function: taskKey', () => {
  it('joins host, workload and repetition', () => {
    expect(taskKey('host-1', 'cpu', 2)).toBe('host-1::cpu::2');
  });

  it.each([
    ['', 'cpu', 1],
    ['a::b', 'cpu', 1],
    ['host-1', '', 1],
    ['host-1', 'c::pu', 1],
    ['host-1', 'cpu', 0],
    ['host-1', 'cpu', 1.5],
  ])('rejects host %j, workload %j, rep %d', (host, workload, rep) => {
    expect(() => taskKey(host, workload, rep)).toThrow(UsageError);
  });
});

describe('Function: parseTaskKey', () => {
  it.each([
    ['host-1', 'cpu', 1],
    ['i-0123456789abcdef0', 'disk_read', 9999],
    ['10.0.0.1', 'a:b', 12],
  ])('reads back the key of %s / %s / %d', (host, workload, rep) => {
    expect(parseTaskKey(taskKey(host, workload, rep))).toEqual({ host, workload, rep });
  });

  it.each([
    '',
    'host-1',
    'host-1::cpu',
    'host-1::cpu::0',
    'host-1::cpu::01',
    'host-1::cpu::x',
    'a::b::1::2',
    '::cpu::1',
  ])('rejects %j', (key) => {
    expect(() => parseTaskKey(key)).toThrow(UsageError);
  });
});

describe('Function: taskSortKey', () => {
  it.each([
    [{ workload: 'cpu', rep: 1, host: 'host-1' }, 'TASK#cpu#0001#host-1'],
    [{ workload: 'cpu', rep: 42, host: 'i-0123456789abcdef0' }, 'TASK#cpu#0042#i-0123456789abcdef0'],
    [{ workload: 'fio', rep: 9999, host: 'h' }, 'TASK#fio#9999#h'],
  ])('gives %j the sort key %s', (task, key) => {
    expect(taskSortKey(task)).toBe(key);
  });

  it('sorts repetitions numerically', () => {
    const keys = [10, 2, 1, 100].map((rep) => taskSortKey({ workload: 'cpu', rep, host: 'h' }));
    expect([...keys].sort()).toEqual(
      [1, 2, 10, 100].map((rep) => taskSortKey({ workload: 'cpu', rep, host: 'h' })),
    );
  });

  it.each([0, 10_000, 2.5])('rejects repetition %d', (rep) => {
    expect(() => taskSortKey({ workload: 'cpu', rep, host: 'h' })).toThrow(UsageError);
  });
});

describe('Function: taskSeed', () => {
  it('is a stable unsigned 32-bit decimal', () => {
    const seed = taskSeed('demo-20250101-120000-ab12', 'host-1::cpu::1');
    expect(seed).toMatch(/^\d+$/);
    expect(Number(seed)).toBeLessThan(2 ** 32);
    expect(taskSeed('demo-20250101-120000-ab12', 'host-1::cpu::1')).toBe(seed);
  });

  it('matches the first 32 bits of sha256(runId NUL key)', () => {
    // printf 'r\0k' | sha256sum → 36c78279…
    expect(taskSeed('r', 'k')).toBe(String(0x36c78279));
  });

  it.each([
    ['another task', 'run-a', 'host-1::cpu::2'],
    ['another run', 'run-b', 'host-1::cpu::1'],
  ])('differs for %s', (_case, runId, key) => {
    expect(taskSeed(runId, key)).not.toBe(taskSeed('run-a', 'host-1::cpu::1'));
  });
});

describe('Function: newRunId', () => {
  const now = new Date('2025-01-02T03:04:05Z');

  it.each([
    ['CPU & Disk', 0.5, 'cpu-disk-20250102-030405-i000'],
    ['demo', 0, 'demo-20250102-030405-0000'],
    ['demo', 0.999_999_999, 'demo-20250102-030405-zzzz'],
    ['Ünïcödé plan', 0, 'unicode-plan-20250102-030405-0000'],
    ['!!!', 0, 'run-20250102-030405-0000'],
    ['a very long benchmark plan name indeed', 0, 'a-very-long-benchmark-pl-20250102-030405-0000'],
    ['abcdefghijklmnopqrstuvw-xyz', 0, 'abcdefghijklmnopqrstuvw-20250102-030405-0000'],
  ])('names a run of %j (random %d) %s', (name, random, id) => {
    const runId = newRunId(name, now, () => random);
    expect(runId).toBe(id);
    expect(isRunId(runId)).toBe(true);
  });

  it('uses UTC whatever the local time zone', () => {
    expect(newRunId('x', new Date(Date.UTC(2024, 11, 31, 23, 59, 59)), () => 0)).toBe(
      'x-20241231-235959-0000',
    );
  });
});

describe('Function: isRunId', () => {
  it.each([
    ['demo-20250102-030405-i000', true],
    ['a-b-c-20250102-030405-0000', true],
    ['Demo-20250102-030405-i000', false],
    ['demo-2025012-030405-i000', false],
    ['-demo-20250102-030405-i000', false],
    ['demo--x-20250102-030405-i000', false],
    ['abcdefghijklmnopqrstuvwxyz-20250102-030405-0000', false],
    ['../etc-20250102-030405-0000', false],
    ['', false],
  ])('says %j is a run id: %s', (value, expected) => {
    expect(isRunId(value)).toBe(expected);
  });
});

describe('Function: assertRunId', () => {
  it.each(['demo-20250102-030405-i000', 'imported-run', 'a'])('accepts %j', (value) => {
    expect(() => assertRunId(value)).not.toThrow();
  });

  it.each([
    '',
    '../etc',
    'a/b',
    'RUN',
    'run id',
    'run\n',
    '-rf',
    'x'.repeat(101),
    'run.json',
  ])('rejects %j', (value) => {
    expect(() => assertRunId(value)).toThrow(UsageError);
  });
});
