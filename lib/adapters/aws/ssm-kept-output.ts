/**
 * The copy of an output that SSM would cut, kept on the host. Commands are sent without an S3 output
 * bucket: SSM returns each invocation's output itself (GetCommandInvocation: the first 24,000 characters of
 * stdout and 8,000 of stderr), which saves the two S3 PUTs every invocation cost when the agent uploaded
 * both streams. So that no output is ever lost to that limit, every command's script tees its streams into
 * a directory on the host and removes it when both streams are under the limits; a longer output stays
 * there until on-invocation-status has it copied to S3 by a second, one-host command (ssm-output-spill.ts)
 * whose output SSM uploads as it always did. Directories older than a day are removed by the next command.
 *
 * POSIX sh only (AWS-RunShellScript runs `sh`, dash on Ubuntu): named pipes and background `tee`s instead of
 * bash's process substitution. A host where the directory cannot be made runs the step as before, without a
 * copy.
 */
import { createHash } from 'node:crypto';
import { shellQuote } from '../../core/shell.js';

/** What SSM returns of an invocation's output itself (GetCommandInvocation). */
export const SSM_INLINE_LIMITS = { stdout: 24_000, stderr: 8_000 } as const;

/**
 * Bytes from which an output counts as possibly cut: a margin under SSM's limits, which count characters
 * where `wc -c` counts bytes. The host keeps its copy from here; the reader copies it to S3 from here.
 */
export const KEEP_FROM_BYTES = { stdout: 22_000, stderr: 7_000 } as const;

/** Where hosts keep the copies (persistent across reboots, unlike /tmp on some distributions). */
export const KEPT_OUTPUTS_DIR = '/var/tmp/fleetbench-outputs';

/**
 * The host directory of one command's copy: readable ids, and a hash so ids that differ only in characters
 * a file name cannot hold never share one.
 * @example
 * keptOutputDir('cpu-20250102-030405-i000', 'a1.repetition.cpu.3'); // '/var/tmp/fleetbench-outputs/cpu-20250102-030405-i000.a1.repetition.cpu.3.d2867241'
 */
export function keptOutputDir(runId: string, commandId: string): string {
  const hash = createHash('sha256').update(`${runId}\0${commandId}`).digest('hex').slice(0, 8);
  const readable = `${runId}.${commandId}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 160);
  return `${KEPT_OUTPUTS_DIR}/${readable}.${hash}`;
}

/**
 * `script` run so that its output goes to SSM as before and, when too long for SSM to return it whole,
 * stays on the host in `keptOutputDir` (`stdout`, `stderr`). The exit code is the script's.
 */
export function keepingOutput(runId: string, commandId: string, script: string): string {
  const dir = shellQuote(keptOutputDir(runId, commandId));
  return [
    `__fb_keep=${dir}`,
    `find ${KEPT_OUTPUTS_DIR} -mindepth 1 -maxdepth 1 -mmin +1440 -exec rm -rf {} + 2>/dev/null`,
    '__fb_copy=0',
    'if rm -rf "$__fb_keep" && mkdir -p "$__fb_keep" && mkfifo "$__fb_keep/.out" "$__fb_keep/.err"; then',
    '  tee "$__fb_keep/stdout" <"$__fb_keep/.out" &',
    '  tee "$__fb_keep/stderr" <"$__fb_keep/.err" >&2 &',
    '  __fb_copy=1',
    'fi',
    '(',
    'if [ "$__fb_copy" = 1 ]; then exec >"$__fb_keep/.out" 2>"$__fb_keep/.err"; fi',
    script,
    ')',
    '__fb_rc=$?',
    'if [ "$__fb_copy" = 1 ]; then',
    '  wait',
    '  rm -f "$__fb_keep/.out" "$__fb_keep/.err"',
    `  if [ "$(wc -c <"$__fb_keep/stdout")" -lt ${KEEP_FROM_BYTES.stdout} ] && [ "$(wc -c <"$__fb_keep/stderr")" -lt ${KEEP_FROM_BYTES.stderr} ]; then rm -rf "$__fb_keep"; fi`,
    'fi',
    'exit $__fb_rc',
  ].join('\n');
}

/** The one-host command that prints a kept copy, for SSM to upload: fails when there is none. */
export function printKeptOutput(runId: string, commandId: string): string {
  const dir = shellQuote(keptOutputDir(runId, commandId));
  return [
    `__fb_keep=${dir}`,
    '[ -f "$__fb_keep/stdout" ] || { echo "fleetbench: no kept output in $__fb_keep" >&2; exit 3; }',
    'cat "$__fb_keep/stdout"',
    'cat "$__fb_keep/stderr" >&2',
  ].join('\n');
}

/** Whether SSM may have cut an output it returned (it is as long as the host keeps a copy from). */
export function mayBeCut(streams: { readonly stdout: string; readonly stderr: string }): boolean {
  return (
    Buffer.byteLength(streams.stdout, 'utf8') >= KEEP_FROM_BYTES.stdout ||
    Buffer.byteLength(streams.stderr, 'utf8') >= KEEP_FROM_BYTES.stderr
  );
}
