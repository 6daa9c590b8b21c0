/**
 * POSIX shell quoting for the scripts sent to hosts. Plugin options and environment values come from
 * users and must reach the benchmark exactly as written, never interpreted: every argument is either a
 * word of plainly safe characters or single-quoted, which POSIX sh leaves completely literal.
 */
import { UsageError } from './errors.js';

/** Characters that are never special to sh, in any position of a word. */
const SAFE_WORD = /^[A-Za-z0-9_./:@%+,-]+$/;
/** Words sh reads as syntax in command position (plus bash's), so they are quoted even though safe. */
const RESERVED_WORDS = new Set([
  'case',
  'coproc',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'function',
  'if',
  'in',
  'select',
  'then',
  'time',
  'until',
  'while',
]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function assertNoNul(value: string): void {
  if (value.includes('\0')) {
    throw new UsageError('a shell argument cannot contain a NUL character', {
      hint: 'remove the \\0 from the plan value',
    });
  }
}

function singleQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Quotes one argument for POSIX sh. Plain words stay readable; anything else is single-quoted, with
 * each `'` written as `'\''`.
 * @throws UsageError when the argument contains a NUL character, which no shell word can hold
 * @example
 * shellQuote('--cpu'); // '--cpu'
 * shellQuote("it's $(rm -rf /)"); // "'it'\\''s $(rm -rf /)'"
 * shellQuote(''); // "''"
 */
export function shellQuote(arg: string): string {
  assertNoNul(arg);
  return SAFE_WORD.test(arg) && !RESERVED_WORDS.has(arg) ? arg : singleQuote(arg);
}

/**
 * Turns an argv into one shell command line that runs exactly that argv.
 * @throws UsageError when argv is empty or an argument contains NUL
 * @example
 * argvToScript(['stress-ng', '--cpu', '2', '--metrics-brief']); // 'stress-ng --cpu 2 --metrics-brief'
 * argvToScript(['echo', 'a b']); // "echo 'a b'"
 */
export function argvToScript(argv: readonly string[]): string {
  if (argv.length === 0) throw new UsageError('cannot build a command from an empty argv');
  return argv.map(shellQuote).join(' ');
}

/**
 * `export NAME='value'` lines, sorted by name so the same environment always gives the same script.
 * @throws UsageError for a name that is not a valid environment variable name, or a value with NUL
 * @example
 * envExports({ MODE: 'fast', FLEETBENCH_SEED: '42' }); // "export FLEETBENCH_SEED='42'\nexport MODE='fast'"
 */
export function envExports(env: Readonly<Record<string, string>>): string {
  return Object.keys(env)
    .sort()
    .map((name) => {
      if (!ENV_NAME.test(name)) {
        throw new UsageError(`invalid environment variable name ${JSON.stringify(name)}`, {
          hint: 'names are letters, digits and "_", not starting with a digit',
        });
      }
      const value = env[name] ?? '';
      assertNoNul(value);
      return `export ${name}=${singleQuote(value)}`;
    })
    .join('\n');
}
