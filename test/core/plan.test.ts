import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PlanValidationError } from '../../lib/core/errors.js';
import {
  type Plan,
  type PluginRegistry,
  parsePlan,
  planHash,
  repetitionsOf,
  validatePlanObject,
} from '../../lib/core/plan.js';
import type { WorkloadPlugin } from '../../lib/core/plugins/types.js';

function fakePlugin(name: string, optionsSchema: z.ZodType): WorkloadPlugin {
  return {
    name,
    description: `fake ${name}`,
    optionsSchema,
    requires: [],
    command: () => ({ argv: [name] }),
    parse: () => [],
    estimateSeconds: () => 1,
  };
}

const plugins = [
  fakePlugin('cpu-hash', z.strictObject({ iterations: z.number().int().min(1).default(1000) })),
  fakePlugin('shell', z.strictObject({ command: z.string().min(1) })),
  fakePlugin('stress-ng', z.strictObject({ stressor: z.string(), workers: z.number().int().default(1) })),
];

const registry: PluginRegistry = {
  get: (name) => plugins.find((plugin) => plugin.name === name),
  names: () => plugins.map((plugin) => plugin.name),
};

const MINIMAL = `name: demo
hosts: { local: 3 }
workloads:
  - name: cpu
    plugin: cpu-hash
`;

function parseError(text: string): PlanValidationError {
  try {
    parsePlan(text, 'plan.yaml', registry);
  } catch (error) {
    if (error instanceof PlanValidationError) return error;
    throw error;
  }
  throw new Error('expected the plan to be rejected');
}

describe('Function: parsePlan', () => {
  it('fills every default of a minimal plan', () => {
    expect(parsePlan(MINIMAL, 'plan.yaml', registry)).toStrictEqual({
      name: 'demo',
      hosts: { local: 3 },
      requireAllHosts: false,
      repetitions: 1,
      strategy: 'lockstep',
      failurePolicy: { failFast: false, maxFailedPercent: 100 },
      timeouts: { task: 3600, stop: 30 },
      env: {},
      setup: [],
      teardown: [],
      workloads: [
        { name: 'cpu', plugin: 'cpu-hash', options: { iterations: 1000 }, setup: [], teardown: [] },
      ],
    } satisfies Plan);
  });

  it('reads a full plan and normalises durations to seconds', () => {
    const plan = parsePlan(
      `name: cpu-and-disk
description: nightly
hosts: { local: [alpha, beta], unreachable: [beta] }
requireAllHosts: true
repetitions: 3
strategy: free
concurrency: 2
failurePolicy: { failFast: true, maxFailedPercent: 25 }
timeouts: { task: 10m, stop: 30s }
env: { MODE: fast, THREADS: 4, DEBUG: false }
setup: ["mkdir -p scratch"]
teardown: ["rm -rf scratch"]
workloads:
  - name: cpu
    plugin: stress-ng
    options: { stressor: cpu, workers: 2 }
    timeout: 1h30m
    repetitions: 5
  - name: custom
    plugin: shell
    options: { command: "my-bench --json" }
    setup: ["echo setup"]
    teardown: ["echo teardown"]
`,
      'plan.yaml',
      registry,
    );
    expect(plan).toStrictEqual({
      name: 'cpu-and-disk',
      description: 'nightly',
      hosts: { local: ['alpha', 'beta'], unreachable: ['beta'] },
      requireAllHosts: true,
      repetitions: 3,
      strategy: 'free',
      concurrency: 2,
      failurePolicy: { failFast: true, maxFailedPercent: 25 },
      timeouts: { task: 600, stop: 30 },
      env: { MODE: 'fast', THREADS: '4', DEBUG: 'false' },
      setup: ['mkdir -p scratch'],
      teardown: ['rm -rf scratch'],
      workloads: [
        {
          name: 'cpu',
          plugin: 'stress-ng',
          options: { stressor: 'cpu', workers: 2 },
          setup: [],
          teardown: [],
          timeout: 5400,
          repetitions: 5,
        },
        {
          name: 'custom',
          plugin: 'shell',
          options: { command: 'my-bench --json' },
          setup: ['echo setup'],
          teardown: ['echo teardown'],
        },
      ],
    } satisfies Plan);
  });

  it('reads a JSON plan like the same plan in YAML', () => {
    const json = JSON.stringify(
      { name: 'demo', hosts: { local: 3 }, workloads: [{ name: 'cpu', plugin: 'cpu-hash' }] },
      null,
      '\t',
    );
    expect(parsePlan(json, 'plan.json', registry)).toStrictEqual(parsePlan(MINIMAL, 'plan.yaml', registry));
  });

  it.each([
    ['instance ids', `{ instanceIds: [i-0123456789abcdef0, i-01234567] }`],
    ['a tag selector', `{ tags: { team: perf, env: bench } }`],
    [
      'provisioned hosts',
      `{ provision: { count: 2, instanceType: c7g.large, ami: ami-0123456789abcdef0, spot: true } }`,
    ],
    [
      'provisioned hosts from an SSM parameter',
      `{ provision: { count: 1, instanceType: t3.micro, ami: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64, subnetId: subnet-01234567, securityGroupIds: [sg-01234567] } }`,
    ],
  ])('accepts %s as hosts', (_name, hosts) => {
    const plan = parsePlan(MINIMAL.replace('{ local: 3 }', hosts), 'plan.yaml', registry);
    expect(plan.hosts).toStrictEqual(validatePlanObject({ ...plan }, 'again', registry).hosts);
    expect(Object.keys(plan.hosts)).toHaveLength(Object.keys(plan.hosts).includes('unreachable') ? 2 : 1);
  });

  it.each([
    [
      'an unknown plugin',
      `${MINIMAL}  - name: disk\n    plugin: stresng\n`,
      'workloads[1].plugin: unknown plugin "stresng" (known: cpu-hash, shell, stress-ng)',
      '7:13',
      'did you mean "stress-ng"?',
    ],
    [
      'a missing top-level field',
      'name: demo\nworkloads: [{ name: cpu, plugin: cpu-hash }]\n',
      'hosts: is required',
      '1:1',
      undefined,
    ],
    [
      'a missing workload field',
      'name: demo\nhosts: { local: 1 }\nworkloads:\n  - name: cpu\n',
      'workloads[0].plugin: is required',
      '4:5',
      undefined,
    ],
    [
      'a wrong type',
      `${MINIMAL}repetitions: three\n`,
      'repetitions: expected a number, got "three"',
      '6:14',
      undefined,
    ],
    [
      'a fractional count',
      `${MINIMAL}repetitions: 1.5\n`,
      'repetitions: expected a whole number, got 1.5',
      '6:14',
      undefined,
    ],
    [
      'duplicate workload names',
      `${MINIMAL}  - name: CPU\n    plugin: shell\n    options: { command: x }\n`,
      'workloads: duplicate workload name "CPU" (first at line 4)',
      '6:11',
      undefined,
    ],
    ['zero repetitions', `${MINIMAL}repetitions: 0\n`, 'repetitions: must be at least 1', '6:14', undefined],
    [
      'too many repetitions',
      `${MINIMAL}repetitions: 10000\n`,
      'repetitions: must be at most 9999',
      '6:14',
      undefined,
    ],
    [
      'zero local hosts',
      MINIMAL.replace('{ local: 3 }', '{ local: 0 }'),
      'hosts.local: must be at least 1',
      '2:17',
      undefined,
    ],
    [
      'an empty host list',
      MINIMAL.replace('{ local: 3 }', '{ local: [] }'),
      'hosts.local: must have at least 1 item',
      '2:17',
      undefined,
    ],
    [
      'zero instance ids',
      MINIMAL.replace('{ local: 3 }', '{ instanceIds: [] }'),
      'hosts.instanceIds: must have at least 1 item',
      '2:23',
      undefined,
    ],
    [
      'a duplicate instance id',
      MINIMAL.replace('{ local: 3 }', '{ instanceIds: [i-01234567, i-01234567] }'),
      'hosts.instanceIds: duplicate instance id "i-01234567" (first at line 2)',
      '2:36',
      undefined,
    ],
    [
      'a malformed instance id',
      MINIMAL.replace('{ local: 3 }', '{ instanceIds: [web-1] }'),
      'hosts.instanceIds[0]: must be an EC2 instance id such as i-0123456789abcdef0',
      '2:24',
      undefined,
    ],
    [
      'no tags',
      MINIMAL.replace('{ local: 3 }', '{ tags: {} }'),
      'hosts.tags: must have at least one tag',
      '2:16',
      undefined,
    ],
    [
      'no host kind',
      MINIMAL.replace('{ local: 3 }', '{}'),
      'hosts: must have one of local, instanceIds, tags, provision',
      '2:8',
      undefined,
    ],
    [
      'a misspelt host kind',
      MINIMAL.replace('{ local: 3 }', '{ locl: 3 }'),
      'hosts: must have one of local, instanceIds, tags, provision',
      '2:8',
      'did you mean "local"?',
    ],
    [
      'two host kinds',
      MINIMAL.replace('{ local: 3 }', '{ local: 3, tags: { a: b } }'),
      'hosts: must have only one of local, instanceIds, tags, provision (got local, tags)',
      '2:8',
      undefined,
    ],
    [
      'an unknown unreachable host',
      MINIMAL.replace('{ local: 3 }', '{ local: 2, unreachable: [host-3] }'),
      'hosts.unreachable[0]: unknown host "host-3" (hosts: host-1, host-2)',
      '2:34',
      undefined,
    ],
    [
      'a provision with a bad ami',
      MINIMAL.replace('{ local: 3 }', '{ provision: { count: 1, instanceType: t3.micro, ami: ubuntu } }'),
      'hosts.provision.ami: must be an AMI id (ami-…) or an SSM parameter path starting with /',
      '2:62',
      undefined,
    ],
    [
      'an unknown top-level key',
      `${MINIMAL}repetiton: 3\n`,
      'plan: unknown key "repetiton"',
      '6:1',
      'did you mean "repetitions"?',
    ],
    [
      'an unknown workload key',
      `${MINIMAL}    setpu: [x]\n`,
      'workloads[0]: unknown key "setpu"',
      '6:5',
      'did you mean "setup"?',
    ],
    [
      'an unknown key far from any known one',
      `${MINIMAL}zzzzzzzzzz: 1\n`,
      'plan: unknown key "zzzzzzzzzz"',
      '6:1',
      expect.stringContaining('allowed keys: name, description, hosts'),
    ],
    [
      'a bad duration',
      `${MINIMAL}timeouts: { task: 10x }\n`,
      expect.stringMatching(/^timeouts\.task: invalid duration "10x": expected/),
      '6:19',
      undefined,
    ],
    [
      'a zero duration',
      `${MINIMAL}timeouts: { stop: 0s }\n`,
      'timeouts.stop: must be longer than 0s',
      '6:19',
      undefined,
    ],
    [
      'a duration over 48h',
      `${MINIMAL}timeouts: { task: 3d }\n`,
      'timeouts.task: must be at most 2d',
      '6:19',
      undefined,
    ],
    [
      'a duration of the wrong type',
      `${MINIMAL}    timeout: [1]\n`,
      'workloads[0].timeout: expected a duration such as 30s, 10m or a number of seconds, got a list',
      '6:14',
      undefined,
    ],
    [
      'a bad plugin option',
      `${MINIMAL}    options: { iterations: 0 }\n`,
      'workloads[0].options.iterations: must be at least 1',
      '6:28',
      undefined,
    ],
    [
      'an unknown plugin option',
      `${MINIMAL}    options: { iteratons: 5 }\n`,
      'workloads[0].options: unknown key "iteratons"',
      '6:16',
      'did you mean "iterations"?',
    ],
    [
      'a missing plugin option',
      'name: demo\nhosts: { local: 1 }\nworkloads:\n  - name: sh\n    plugin: shell\n',
      'workloads[0].options.command: is required',
      '4:5',
      undefined,
    ],
    [
      'a bad workload name',
      MINIMAL.replace('name: cpu', 'name: "cpu load"'),
      'workloads[0].name: must be 1-40 letters, digits, "_" or "-", starting with a letter or digit',
      '4:11',
      undefined,
    ],
    [
      'no workloads',
      MINIMAL.replace(/workloads:[\s\S]*/, 'workloads: []\n'),
      'workloads: must have at least 1 item',
      '3:12',
      undefined,
    ],
    [
      'an unknown strategy',
      `${MINIMAL}strategy: parallel\n`,
      'strategy: must be one of "lockstep", "free", got "parallel"',
      '6:11',
      undefined,
    ],
    [
      'a percent over 100',
      `${MINIMAL}failurePolicy: { maxFailedPercent: 150 }\n`,
      'failurePolicy.maxFailedPercent: must be at most 100',
      '6:36',
      undefined,
    ],
    [
      'a bad environment variable name',
      `${MINIMAL}env: { MY-VAR: x }\n`,
      'env["MY-VAR"]: invalid environment variable name "MY-VAR"',
      '6:8',
      undefined,
    ],
    [
      'a reserved environment variable',
      `${MINIMAL}env: { FLEETBENCH_SEED: "1" }\n`,
      'env.FLEETBENCH_SEED: "FLEETBENCH_SEED" is reserved: fleetbench sets FLEETBENCH_* variables itself',
      '6:8',
      undefined,
    ],
    ['an empty command', `${MINIMAL}setup: [""]\n`, 'setup[0]: must not be empty', '6:9', undefined],
    [
      'a NUL character',
      `${MINIMAL}setup: ["a\\0b"]\n`,
      'setup[0]: contains a NUL character',
      '6:9',
      undefined,
    ],
    ['a list as the plan', '- name: demo\n', 'plan: expected a mapping, got a list', '1:1', undefined],
    [
      'an empty file',
      '\n# nothing here\n',
      'plan is empty',
      '1:1',
      expect.stringContaining('name, hosts and workloads'),
    ],
    [
      'a YAML syntax error',
      'name: demo\nhosts: [1, 2\n',
      'YAML syntax error: this "[" is never closed with "]"',
      '2:8',
      undefined,
    ],
    [
      'a duplicate YAML key',
      'name: a\nname: b\n',
      'YAML syntax error: duplicate key "name": each key appears once in a mapping',
      '2:1',
      undefined,
    ],
    [
      'an undefined YAML alias',
      `${MINIMAL}setup: *nope\n`,
      expect.stringMatching(/^YAML error: Unresolved alias/),
      '1:1',
      undefined,
    ],
    [
      'a recursive YAML alias',
      `${MINIMAL}env: &e { A: *e }\n`,
      'env.A: refers to itself (a recursive YAML alias)',
      '6:14',
      undefined,
    ],
  ])('rejects %s', (_case, text, message, position, hint) => {
    const error = parseError(text);
    expect(error.message).toEqual(message);
    expect(error.where).toBe(`plan.yaml:${position}`);
    expect(error.hint).toEqual(hint ?? expect.any(String));
    expect(error.exitCode).toBe(2);
  });

  it('reports a misspelt key before the required field it hides', () => {
    const error = parseError(
      'name: demo\nhost: { local: 1 }\nworkloads: [{ name: cpu, plugin: cpu-hash }]\n',
    );
    expect(error.message).toBe('plan: unknown key "host"');
    expect(error.hint).toBe('did you mean "hosts"?');
  });

  it('reports every problem at once, each at its own line and column, the first in the file first', () => {
    const error = parseError(
      `name: demo\nrepetitions: 0\nhosts: { local: 0 }\nworkloads:\n  - { name: cpu, plugin: cpu-hash, options: { iterations: 0 } }\n  - { name: x, plugin: nosuch }\n`,
    );

    expect(error.issues.map((i) => `${i.where} ${i.message}`)).toEqual([
      'plan.yaml:2:14 repetitions: must be at least 1',
      'plan.yaml:3:17 hosts.local: must be at least 1',
      'plan.yaml:5:59 workloads[0].options.iterations: must be at least 1',
      'plan.yaml:6:24 workloads[1].plugin: unknown plugin "nosuch" (known: cpu-hash, shell, stress-ng)',
    ]);
    expect(error.issues[0]).toMatchObject({ message: error.message, where: error.where, hint: error.hint });
  });

  it('reports the issue that comes first in the file', () => {
    const error = parseError(
      `name: demo\nrepetitions: 0\nhosts: { local: 0 }\nworkloads: [{ name: cpu, plugin: cpu-hash }]\n`,
    );
    expect(error.message).toBe('repetitions: must be at least 1');
  });
});

describe('Function: validatePlanObject', () => {
  it.each([
    ['a minimal YAML plan', MINIMAL],
    ['a plan with durations as strings', `${MINIMAL}    timeout: 90s\ntimeouts: { task: 1h, stop: 500ms }\n`],
    ['a plan with unquoted env numbers', `${MINIMAL}env: { N: 4 }\n`],
  ])('validates %s, once parsed, to an equal plan', (_case, text) => {
    const plan = parsePlan(text, 'plan.yaml', registry);
    const again = validatePlanObject(JSON.parse(JSON.stringify(plan)), 'snapshot', registry);
    expect(again).toStrictEqual(plan);
    expect(planHash(again)).toBe(planHash(plan));
  });

  it.each([
    [
      { name: 'x', hosts: { local: 1 }, workloads: [{ name: 'a', plugin: 'nope' }] },
      'input:$.workloads[0].plugin',
    ],
    [{ name: 'x', workloads: [{ name: 'a', plugin: 'shell', options: { command: 'x' } }] }, 'input:$.hosts'],
    [
      { name: 'x', hosts: { local: 1 }, workloads: [{ name: 'a', plugin: 'shell' }], env: { 'A-B': '1' } },
      'input:$.env["A-B"]',
    ],
    ['not a plan', 'input:$'],
  ])('locates the issue of %j by its JSON path', (value, where) => {
    expect(() => validatePlanObject(value, 'input', registry)).toThrow(expect.objectContaining({ where }));
  });

  it('names the first occurrence of a duplicate by its path', () => {
    const value = {
      name: 'x',
      hosts: { local: 1 },
      workloads: [
        { name: 'a', plugin: 'cpu-hash' },
        { name: 'a', plugin: 'cpu-hash' },
      ],
    };
    expect(() => validatePlanObject(value, 'input', registry)).toThrow(
      'workloads: duplicate workload name "a" (first at workloads[0].name)',
    );
  });

  it('leaves its input unchanged', () => {
    const value = { name: 'x', hosts: { local: 1 }, workloads: [{ name: 'a', plugin: 'cpu-hash' }] };
    const copy = structuredClone(value);
    validatePlanObject(value, 'input', registry);
    expect(value).toStrictEqual(copy);
  });
});

describe('Function: planHash', () => {
  it('does not depend on key order', () => {
    const plan = parsePlan(MINIMAL, 'plan.yaml', registry);
    const reordered = Object.fromEntries(Object.entries(plan).reverse()) as Plan;
    expect(planHash(reordered)).toBe(planHash(plan));
    expect(planHash(plan)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when the plan changes', () => {
    const plan = parsePlan(MINIMAL, 'plan.yaml', registry);
    expect(planHash({ ...plan, repetitions: 2 })).not.toBe(planHash(plan));
  });
});

describe('Function: repetitionsOf', () => {
  it.each([
    [3, undefined, 3],
    [3, 5, 5],
    [1, 1, 1],
  ])('gives plan %i and workload %s → %i', (planReps, workloadReps, expected) => {
    const plan = parsePlan(MINIMAL, 'plan.yaml', registry);
    const [workload] = plan.workloads;
    if (!workload) throw new Error('fixture has a workload');
    const own = workloadReps === undefined ? workload : { ...workload, repetitions: workloadReps };
    expect(repetitionsOf({ ...plan, repetitions: planReps }, own)).toBe(expected);
  });
});

describe('Function: parsePlan, matrix and warmup', () => {
  const sweepPlugins = [
    ...plugins,
    fakePlugin(
      'pair',
      z
        .strictObject({
          low: z.number().int().default(1),
          high: z.number().int().default(10),
          label: z.string(),
        })
        .superRefine((options, ctx) => {
          if (options.low > options.high)
            ctx.addIssue({ code: 'custom', message: 'low must not exceed high' });
        }),
    ),
  ];
  const sweepRegistry: PluginRegistry = {
    get: (name) => sweepPlugins.find((plugin) => plugin.name === name),
    names: () => sweepPlugins.map((plugin) => plugin.name),
  };
  const SWEEP = `name: demo
hosts: { local: 2 }
workloads:
  - name: pair
    plugin: pair
    options: { label: x }
    matrix:
      low: [1, 5]
      high: [4, 8]
`;

  function sweepError(text: string): PlanValidationError {
    try {
      parsePlan(text, 'plan.yaml', sweepRegistry);
    } catch (error) {
      if (error instanceof PlanValidationError) return error;
      throw error;
    }
    throw new Error('expected the plan to be rejected');
  }

  it('keeps the options and the matrix as written, and a warmup where it was set', () => {
    // Act
    const plan = parsePlan(
      `${SWEEP.replace('high: [4, 8]', 'high: [8, 9]')}    warmup: 2\nwarmup: 1\n`,
      'plan.yaml',
      sweepRegistry,
    );

    // Assess
    expect(plan.warmup).toBe(1);
    expect(plan.workloads[0]).toStrictEqual({
      name: 'pair',
      plugin: 'pair',
      options: { label: 'x' },
      matrix: { low: [1, 5], high: [8, 9] },
      setup: [],
      teardown: [],
      warmup: 2,
    });
    expect(validatePlanObject(JSON.parse(JSON.stringify(plan)), 'snapshot', sweepRegistry)).toStrictEqual(
      plan,
    );
  });

  it.each([
    [
      'a value that cannot name a variant',
      SWEEP.replace('low: [1, 5]', 'low: [1, "a b"]'),
      'workloads[0].matrix.low[1]: "a b" cannot name a variant',
      '8:16',
      /at most 32 letters, digits/,
    ],
    [
      'a value that is not a scalar',
      SWEEP.replace('low: [1, 5]', 'low: [1, [2]]'),
      'workloads[0].matrix.low[1]: expected a string, a number or true/false, got a list',
      '8:16',
      /e\.g\. matrix: \{ bs: \[4k, 64k\] \}/,
    ],
    [
      'a value listed twice, told apart by case only',
      SWEEP.replace('options: { label: x }', 'options: {}').replace('low: [1, 5]', 'label: [fast, FAST]'),
      'workloads[0].matrix.label: duplicate value "FAST" (first at line 8)',
      '8:21',
      /variant names are unique \(case-insensitive\)/,
    ],
    [
      'an empty matrix',
      `${SWEEP.slice(0, SWEEP.indexOf('    matrix:'))}    matrix: {}\n`,
      'workloads[0].matrix: must have at least one parameter',
      '7:13',
      /e\.g\. matrix/,
    ],
    [
      'a parameter without values',
      SWEEP.replace('low: [1, 5]', 'low: []'),
      'workloads[0].matrix.low: must have at least 1 item',
      '8:12',
      /docs\/plan\.md/,
    ],
    [
      'a parameter the plugin does not know',
      SWEEP.replace('low: [1, 5]', 'lwo: [1, 5]'),
      'workloads[0].matrix.lwo: "lwo" is not an option of plugin "pair"',
      '8:7',
      /did you mean "low"\?/,
    ],
    [
      'a parameter also set in options',
      SWEEP.replace('options: { label: x }', 'options: { label: x, low: 2 }').replace('[4, 8]', '[8, 9]'),
      'workloads[0].matrix.low: "low" is set in options too',
      '8:7',
      /remove low from options/,
    ],
    [
      'a value the plugin refuses, at that value',
      SWEEP.replace('low: [1, 5]', 'low: [1, 2.5]'),
      'workloads[0].matrix.low[1]: expected a whole number, got 2.5',
      '8:16',
      /docs\/plan\.md/,
    ],
    [
      'a combination the plugin refuses, naming the variant',
      SWEEP,
      'workloads[0].options: low must not exceed high (in variant pair[high=4,low=5])',
      '6:14',
      /docs\/plan\.md/,
    ],
    [
      'an option every variant lacks, once',
      SWEEP.replace('options: { label: x }', 'options: {}'),
      'workloads[0].options.label: is required',
      '6:14',
      /docs\/plan\.md/,
    ],
    [
      'a matrix of more than 1000 variants',
      SWEEP.replace('low: [1, 5]', `low: [${Array.from({ length: 501 }, (_, i) => i).join(', ')}]`),
      'workloads[0].matrix: expands into 1002 variants, more than 1000',
      '8:7',
      /sweep fewer values/,
    ],
    [
      'a negative warmup',
      `${SWEEP.replace('[4, 8]', '[8, 9]')}warmup: -1\n`,
      'warmup: must be at least 0',
      '10:9',
      /docs\/plan\.md/,
    ],
    [
      'warm-ups that push the repetitions past what sort keys hold',
      `${SWEEP.replace('high: [4, 8]', 'high: [8, 9]')}    repetitions: 9000\n    warmup: 1000\n`,
      'workloads[0].warmup: warm-ups and repetitions make 10000 repetitions, more than 9999',
      '11:13',
      /fewer warm-ups or repetitions/,
    ],
  ])('rejects %s', (_case, text, message, position, hint) => {
    // Act
    const error = sweepError(text);

    // Assess
    expect(error.message).toBe(message);
    expect(error.where).toBe(`plan.yaml:${position}`);
    expect(error.hint).toMatch(hint);
    expect(error.exitCode).toBe(2);
  });

  it('reports the problems of every variant at once, each at the matrix value that causes it', () => {
    // Act
    const error = sweepError(
      SWEEP.replace('low: [1, 5]', 'low: [0.5, 1, 1.5]').replace('high: [4, 8]', 'high: [20, x]'),
    );

    // Assess
    expect(error.issues.map((i) => `${i.where} ${i.message}`)).toEqual([
      'plan.yaml:8:13 workloads[0].matrix.low[0]: expected a whole number, got 0.5',
      'plan.yaml:8:21 workloads[0].matrix.low[2]: expected a whole number, got 1.5',
      'plan.yaml:9:18 workloads[0].matrix.high[1]: expected a number, got "x"',
    ]);
  });
});
