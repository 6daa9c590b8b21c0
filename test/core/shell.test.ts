import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/core/errors.js';
import { argvToScript, envExports, shellQuote } from '../../lib/core/shell.js';

/** Runs a script with the real /bin/sh and returns what it printed. */
function sh(script: string): string {
  const result = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sh failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** The argv sh actually passes for a command line, read back NUL-separated. */
function argvSeenBySh(commandLine: string): string[] {
  return sh(`set -- ${commandLine}\nfor arg in "$@"; do printf '%s\\0' "$arg"; done`)
    .split('\0')
    .slice(0, -1);
}

const HOSTILE = [
  '',
  ' ',
  "'",
  "''",
  '"',
  "it's",
  '$(touch /tmp/fleetbench-pwned)',
  '`id`',
  '$HOME',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a parameter expansion the shell must not perform
  '${HOME:-x}',
  'a\nb',
  '\\',
  '*',
  '~',
  '#comment',
  'a;b',
  'a|b',
  'a&b',
  '>out',
  '!',
  '-n',
  'x=y',
  '\t',
  'ünïcödé ✓',
  "'\\''",
];

describe('Function: shellQuote', () => {
  it.each([
    ['--cpu', '--cpu'],
    ['stress-ng', 'stress-ng'],
    ['/usr/bin/fio', '/usr/bin/fio'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['x=y', "'x=y'"],
    ['~', "'~'"],
    ['if', "'if'"],
  ])('quotes %j as %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  it.each(HOSTILE)('passes %j to sh unchanged', (arg) => {
    expect(argvSeenBySh(shellQuote(arg))).toEqual([arg]);
  });

  it('passes any string without NUL to sh unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')),
          { maxLength: 4 },
        ),
        (args) => {
          expect(argvSeenBySh(args.map(shellQuote).join(' '))).toEqual(args);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rejects a NUL character', () => {
    expect(() => shellQuote('a\0b')).toThrow(UsageError);
  });
});

describe('Function: argvToScript', () => {
  it('builds a readable command line', () => {
    expect(argvToScript(['stress-ng', '--cpu', '2', '--timeout', '10s'])).toBe(
      'stress-ng --cpu 2 --timeout 10s',
    );
  });

  it('runs exactly the given argv', () => {
    expect(sh(argvToScript(['printf', '%s|', ...HOSTILE]))).toBe(HOSTILE.map((arg) => `${arg}|`).join(''));
  });

  it.each(['if', 'while', 'x=y', '!'])('runs a command named %j rather than reading it as syntax', (name) => {
    const result = spawnSync('/bin/sh', ['-c', argvToScript([name, 'arg'])], { encoding: 'utf8' });
    expect(result.status).toBe(127);
  });

  it('rejects an empty argv', () => {
    expect(() => argvToScript([])).toThrow(UsageError);
  });
});

describe('Function: envExports', () => {
  it('writes sorted export lines with single-quoted values', () => {
    expect(envExports({ MODE: 'fast', FLEETBENCH_SEED: '42', A_B: "it's" })).toBe(
      "export A_B='it'\\''s'\nexport FLEETBENCH_SEED='42'\nexport MODE='fast'",
    );
  });

  it('writes nothing for an empty environment', () => {
    expect(envExports({})).toBe('');
  });

  it('sets every value exactly in a real shell', () => {
    const env = Object.fromEntries(HOSTILE.map((value, index) => [`V${index}`, value]));
    const names = Object.keys(env);
    const printed = sh(`${envExports(env)}\nprintf '%s\\0' ${names.map((name) => `"$${name}"`).join(' ')}`);
    expect(printed.split('\0').slice(0, -1)).toEqual(names.map((name) => env[name]));
  });

  it('exports the variables to child processes', () => {
    expect(sh(`${envExports({ FLEETBENCH_SEED: '7' })}\nsh -c 'printf %s "$FLEETBENCH_SEED"'`)).toBe('7');
  });

  it.each(['1A', 'A-B', 'A B', '', 'A=B', 'A;rm'])('rejects the name %j', (name) => {
    expect(() => envExports({ [name]: 'x' })).toThrow(UsageError);
  });

  it('rejects a value with NUL', () => {
    expect(() => envExports({ A: 'a\0b' })).toThrow(UsageError);
  });
});
