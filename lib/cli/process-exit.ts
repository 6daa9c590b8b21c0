/**
 * How the CLI process ends. Two statuses are ends by a signal, as for any Unix tool, rather than exit codes:
 *
 * - 130, a run stopped with Ctrl+C, ends by SIGINT once the stop is done. A shell stops a script (a loop over
 *   plans) only when its child died of SIGINT, and `npx` reports 130 after any Ctrl+C whatever the child
 *   does (npm runs the CLI through `sh -c`, and that shell re-raises the SIGINT it got): dying of SIGINT
 *   makes the status the same with and without npx.
 * - 141, stdout's reader gone (`fleetbench show <id> | head -3`), ends by SIGPIPE, as `yes | head -1` does
 *   and as Go programs do: quietly, and seen by `set -o pipefail`. Node ignores SIGPIPE, so a write to a
 *   closed pipe fails with EPIPE instead; the CLI stops at that write and ends here.
 *
 * Every other status is an exit code.
 */

/** The shell's status of a command ended by SIGINT (128 + 2). */
export const INTERRUPTED_STATUS = 130;
/** The shell's status of a command ended by SIGPIPE (128 + 13). */
export const BROKEN_PIPE_STATUS = 141;

const SIGNAL_OF: Readonly<Record<number, NodeJS.Signals>> = {
  [INTERRUPTED_STATUS]: 'SIGINT',
  [BROKEN_PIPE_STATUS]: 'SIGPIPE',
};

/** Whether a stream error means its reader has gone: EPIPE, or a write after the stream was torn down. */
export function isBrokenPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * Ends the process with `status`: by SIGINT for 130, by SIGPIPE for 141 (or when stdout's reader went
 * away meanwhile), else with that exit code. Output still on its way to a slow reader (`| less`) is
 * waited for first: it may yet meet a reader that has gone, and must not be cut off.
 * @example
 * endProcess(await main(process.argv.slice(2)));
 */
export function endProcess(status: number): void {
  const { stdout } = process;
  if (status !== INTERRUPTED_STATUS && stdout.writableLength > 0 && !stdout.errored) {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      endProcess(status);
    };
    stdout.once('drain', settle);
    stdout.once('error', settle);
    stdout.once('close', settle);
    return;
  }
  const code = status !== INTERRUPTED_STATUS && isBrokenPipe(stdout.errored) ? BROKEN_PIPE_STATUS : status;
  const signal = SIGNAL_OF[code];
  if (signal) {
    // Adding and removing a listener puts the signal back to its default action (Node ignores SIGPIPE).
    process.removeAllListeners(signal);
    const restore = () => undefined;
    process.on(signal, restore);
    process.off(signal, restore);
    process.kill(process.pid, signal);
  }
  process.exitCode = code;
  // Exit even if a library left a handle open; unref'd, so a clean shutdown is not delayed.
  setTimeout(() => process.exit(code), signal ? 100 : 500).unref();
}
