import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliHarness } from '../support/cli.js';

const valid = `name: ok
hosts: { local: 2 }
workloads:
  - name: a
    plugin: shell
    options: { command: "true" }
`;

/** Each case: the plan text, and what the one-line error must name (field and line). */
const cases: [string, string, RegExp][] = [
  [
    'unknown plugin',
    valid.replace('plugin: shell', 'plugin: shel'),
    /plan\.yaml:5:\d+: .*workloads\[0\]\.plugin.*unknown plugin "shel"/,
  ],
  ['missing field', valid.replace('name: ok\n', ''), /plan\.yaml:1:\d+: .*name/],
  ['wrong type', valid.replace('{ local: 2 }', '{ local: "two" }'), /plan\.yaml:2:\d+: .*hosts/],
  [
    'duplicate workload names',
    `${valid}  - name: a\n    plugin: shell\n    options: { command: "true" }\n`,
    /plan\.yaml:7:\d+: .*duplicate workload name "a"/,
  ],
  ['zero repetitions', `${valid}repetitions: 0\n`, /plan\.yaml:7:\d+: .*repetitions/],
  ['zero hosts', valid.replace('{ local: 2 }', '{ local: 0 }'), /plan\.yaml:2:\d+: .*hosts/],
  [
    'iperf3 server that is not a host of the plan',
    `${valid}  - name: net\n    plugin: iperf3\n    options: { server: host-9 }\n`,
    /plan\.yaml:9:\d+: workloads\[1\]\.options\.server: iperf3 server "host-9" is not a host of the plan \(name one of the plan's hosts: host-1, host-2\)/,
  ],
  [
    'YAML syntax error',
    valid.replace('hosts: { local: 2 }', 'hosts: { local: 2'),
    /plan\.yaml:\d+:\d+: .*YAML/,
  ],
];

describe('Invalid plans', () => {
  let cli: CliHarness;

  beforeAll(async () => {
    cli = await CliHarness.create();
  });
  afterAll(async () => cli.dispose());

  it.each(
    cases,
  )('rejects a plan with %s: exit 2, one line naming field and line, no stack', async (_name, text, expected) => {
    const plan = await cli.writePlan('plan.yaml', text);
    for (const command of ['validate', 'run']) {
      const r = await cli.run(command, plan);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    }
  });

  it('reports every problem of a plan at once, one line each with file:line:column', async () => {
    const plan = await cli.writePlan(
      'many.yaml',
      `name: many\nhosts: { local: 0 }\nrepetitions: 0\nworkloads:\n  - name: a\n    plugin: shel\n  - name: b\n    plugin: fio\n    options: { runtime: 10x }\n`,
    );

    const r = await cli.run('validate', plan);

    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: .*many\.yaml:2:17: hosts\.local: must be at least 1/),
      expect.stringMatching(/^error: .*many\.yaml:3:14: repetitions: must be at least 1/),
      expect.stringMatching(
        /^error: .*many\.yaml:6:13: workloads\[0\]\.plugin: unknown plugin "shel" .*did you mean "shell"/,
      ),
      expect.stringMatching(
        /^error: .*many\.yaml:9:25: workloads\[1\]\.options\.runtime: invalid duration "10x"/,
      ),
    ]);
  });

  it('points a YAML syntax error at the line of the mistake, in plain words', async () => {
    const plan = await cli.writePlan(
      'quote.yaml',
      `name: 'quick\nhosts: { local: 2 }\nworkloads:\n  - name: a\n    plugin: shell\n    options: { command: "true" }\n`,
    );

    const r = await cli.run('validate', plan);

    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${plan}:1:7: YAML syntax error: this single-quoted string has no closing ' (close it with '; inside the string write '' for a ')\n`,
    );
  });

  it('rejects an unreadable plan file with exit 2', async () => {
    const r = await cli.run('run', 'no-such-plan.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-plan\.yaml: plan file no such file/);
  });

  it('created no run for any of them', async () => {
    expect(await cli.runJson<unknown[]>('runs')).toEqual([]);
  });

  it('validates a good plan with its task count and an estimate', async () => {
    const plan = await cli.writePlan('good.yaml', valid);
    const r = await cli.run('validate', plan);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /valid[\s\S]*1 workload\(s\), 2 host\(s\), 2 task\(s\)[\s\S]*estimated duration/,
    );
  });

  it('answers --help for every command', async () => {
    for (const command of ['run', 'validate', 'runs', 'show', 'status', 'stop', 'resume', 'events']) {
      const r = await cli.run(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`fleetbench ${command}`);
    }
  });

  it('rejects an unknown run id with exit 2', async () => {
    for (const command of ['show', 'status', 'stop']) {
      const r = await cli.run(command, 'nope-20260101-000000-abcd');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/run nope-20260101-000000-abcd not found/);
    }
  });
});
