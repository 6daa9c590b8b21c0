/**
 * Output stores read the END of a long output (benchmarks print their summary last, and the last lines
 * say why a command failed). A read that starts mid-output starts mid-line, maybe mid-character:
 * whole lines only are kept.
 */
export function dropPartialFirstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(newline + 1);
}
