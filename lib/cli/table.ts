/**
 * Aligned text tables for people (`runs`, `show`, `doctor`, `compare`, the end-of-run summary): left-aligned
 * columns separated by two spaces. A cell's width is its width on a terminal as `string-width` measures it —
 * CJK and other wide characters take two columns, combining marks and zero-width characters none, emoji
 * two, and colour codes nothing — so a plan whose hosts or workloads are named in any script still lines up.
 * string-width sets up a grapheme segmenter when it loads, so the commands import this module when they
 * print a table, never at start-up.
 */
import stringWidth from 'string-width';

/**
 * @example
 * table(['HOST', 'STATE'], [['東京-1', 'ok'], ['host-2', 'failed']]);
 * // 'HOST    STATE\n東京-1  ok\nhost-2  failed\n'
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(stringWidth(h), ...rows.map((r) => stringWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - stringWidth(c))),
      )
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
