/**
 * Where a command's stderr is, given where its stdout is: every target records the stdout's ref (a task's
 * `outputRef`) and keeps stderr beside it, the same ref ending in `stderr` — a local file, a journal
 * item's stream, an S3 object.
 */

/**
 * @example
 * stderrRefOf('/data/runs/r/outputs/cmd/host-1.stdout'); // '/data/runs/r/outputs/cmd/host-1.stderr'
 * stderrRefOf('s3://bucket/runs/r/cmd/i-0abc/awsrunShellScript/0.awsrunShellScript/stdout'); // '…/stderr'
 * stderrRefOf('journal:r/a1.repetition.cpu.1/i-0abc/stdout'); // 'journal:r/a1.repetition.cpu.1/i-0abc/stderr'
 */
export function stderrRefOf(stdoutRef: string): string {
  return stdoutRef.replace(/stdout$/, 'stderr');
}
