/**
 * What every output parser needs: one way to reject output that is not the tool's report, and checks
 * that a field is a real number. Rejections are one line naming the tool and what is missing, with the
 * tool's own last stderr line attached, because that line is usually the real cause ("unrecognized
 * option", "No such file or directory") and the task record shows only the message.
 */
import { PluginOutputError } from '../errors.js';
import type { CommandOutput } from './types.js';

const EXCERPT_CHARS = 200;
const CAUSE = /error|fatal|fail|cannot|can't|unable|not found|no such|unrecognized|invalid|denied/i;

/**
 * The last non-empty line of a text, trimmed; `undefined` when there is none.
 * @example
 * lastLine('a\nb\n\n'); // 'b'
 */
export function lastLine(text: string): string | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (line) return line;
  }
  return undefined;
}

/** The line of stderr most likely to say what went wrong: the last one that sounds like an error, else the last one. */
function causeLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((line) => line.trim());
  return lines.findLast((line) => CAUSE.test(line)) ?? lastLine(stderr);
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > EXCERPT_CHARS ? `${oneLine.slice(0, EXCERPT_CHARS)}…` : oneLine;
}

/**
 * Builds the error a parser throws: `<tool>: <what>`, plus the exit code when it is not 0 and the
 * stderr line that names the cause (or stdout's last line, when stderr is empty) as context.
 * @example
 * throw outputError('fio', 'no JSON report on stdout', output);
 * // fio: no JSON report on stdout (stderr: "fio: failed parsing directory=/nonexistent")
 */
export function outputError(tool: string, what: string, output?: CommandOutput): PluginOutputError {
  const context: string[] = [];
  if (output && output.exitCode !== 0) context.push(`exit code ${output.exitCode}`);
  const stderrLine = output ? causeLine(output.stderr) : undefined;
  const stdoutLine = output ? lastLine(output.stdout) : undefined;
  if (stderrLine) context.push(`stderr: ${JSON.stringify(excerpt(stderrLine))}`);
  else if (stdoutLine) context.push(`stdout ends with: ${JSON.stringify(excerpt(stdoutLine))}`);
  else if (output) context.push('stdout and stderr are empty');
  const suffix = context.length > 0 ? ` (${context.join('; ')})` : '';
  return new PluginOutputError(`${tool}: ${what}${suffix}`, {
    hint: `run the ${tool} command by hand on the host to see its full output`,
  });
}

/** Narrows an unknown JSON/YAML value to a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A finite number, or `undefined`. Numeric strings count: YAML and text reports carry numbers as text.
 * @example
 * toNumber('12.5'); // 12.5
 * toNumber('n/a'); // undefined
 */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * Reads a field that must be a number greater than zero (a rate, a size), or throws `outputError`.
 * @example
 * positive('fio', 'read.iops', job.read?.iops, output); // 18950.05
 */
export function positive(tool: string, field: string, value: unknown, output: CommandOutput): number {
  const n = toNumber(value);
  if (n === undefined) throw outputError(tool, `report has no numeric ${field}`, output);
  if (n <= 0) throw outputError(tool, `${field} is ${n}, expected a positive number`, output);
  return n;
}

/**
 * Reads a field that must be a number ≥ 0 (a latency rounded to 0.00, a retransmit count), or throws.
 * @example
 * nonNegative('sysbench', 'latency avg', '0.00', output); // 0
 */
export function nonNegative(tool: string, field: string, value: unknown, output: CommandOutput): number {
  const n = toNumber(value);
  if (n === undefined) throw outputError(tool, `report has no numeric ${field}`, output);
  if (n < 0) throw outputError(tool, `${field} is ${n}, expected a number >= 0`, output);
  return n;
}

/**
 * Parses the JSON document a tool printed on stdout, skipping any notes printed before it (fio prints
 * "note: …" lines on stdout ahead of its report).
 * @example
 * jsonReport('fio', { stdout: 'note: x\n{"jobs":[]}', stderr: '', exitCode: 0 }); // { jobs: [] }
 */
export function jsonReport(tool: string, output: CommandOutput): Record<string, unknown> {
  const text = output.stdout;
  const start = text.startsWith('{') ? 0 : text.indexOf('\n{');
  if (start < 0) throw outputError(tool, 'no JSON report on stdout', output);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(start));
  } catch {
    throw outputError(tool, 'JSON report on stdout is truncated or malformed', output);
  }
  if (!isRecord(parsed)) throw outputError(tool, 'JSON report on stdout is not an object', output);
  return parsed;
}
