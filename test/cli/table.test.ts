import { describe, expect, it } from 'vitest';
import { table } from '../../lib/cli/table.js';

const ESC = String.fromCharCode(27);

describe('Function: table', () => {
  it('lines up columns by display width: CJK characters count two columns', () => {
    // Act
    const text = table(
      ['HOST', 'STATE'],
      [
        ['東京-1', 'ok'],
        ['host-2', 'failed'],
      ],
    );

    // Assess: 東京-1 is 6 columns wide, like host-2, so both rows start STATE at column 8.
    expect(text).toBe('HOST    STATE\n東京-1  ok\nhost-2  failed\n');
  });

  it('counts combining marks and zero-width characters as nothing and emoji as two', () => {
    const text = table(
      ['NAME', 'X'],
      [
        ['cafe\u0301', 'a'],
        ['zero\u200bwidth', 'b'],
        ['🚀 go', 'c'],
      ],
    );

    // Widths: café 4, zero-width 9 (the widest), 🚀 go 5.
    expect(text).toBe(
      `NAME${' '.repeat(7)}X\ncafe\u0301${' '.repeat(7)}a\nzero\u200bwidth  b\n🚀 go${' '.repeat(6)}c\n`,
    );
  });

  it('ignores colour codes when measuring', () => {
    const red = `${ESC}[31mFAILED${ESC}[39m`;

    const text = table(
      ['STATUS', 'CHECK'],
      [
        [red, 'fio'],
        ['OK', 'sh'],
      ],
    );

    expect(text).toBe(`STATUS  CHECK\n${red}  fio\nOK      sh\n`);
  });

  it('leaves no trailing spaces after the last column', () => {
    expect(table(['A', 'B'], [['x', '']])).toBe('A  B\nx\n');
  });
});
