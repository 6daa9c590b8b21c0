import { describe, expect, it } from 'vitest';
import { colourEnabled, coloursFor } from '../../lib/cli/colour.js';

const terminal = { isTTY: true, hasColors: () => true };
const monochrome = { isTTY: true, hasColors: () => false };
const file = { isTTY: false };

describe('Function: colourEnabled', () => {
  it.each([
    ['a terminal', terminal, {}, true],
    ['a file or a pipe', file, {}, false],
    ['a terminal without colours', monochrome, {}, false],
    ['a terminal with NO_COLOR', terminal, { NO_COLOR: '1' }, false],
    ['a terminal with TERM=dumb', terminal, { TERM: 'dumb' }, false],
    ['a file with FORCE_COLOR=1', file, { FORCE_COLOR: '1' }, true],
    ['a file with FORCE_COLOR empty', file, { FORCE_COLOR: '' }, true],
    ['a terminal with FORCE_COLOR=0', terminal, { FORCE_COLOR: '0' }, false],
    ['a terminal with FORCE_COLOR=false', terminal, { FORCE_COLOR: 'false' }, false],
    [
      'a file with FORCE_COLOR=3 and NO_COLOR (FORCE_COLOR wins, as in Node)',
      file,
      { FORCE_COLOR: '3', NO_COLOR: '1' },
      true,
    ],
  ])('decides %s', (_case, stream, env, expected) => {
    expect(colourEnabled(stream, env)).toBe(expected);
  });
});

describe('Function: coloursFor', () => {
  it('colours text for a stream that gets colour and leaves it alone for one that does not', () => {
    expect(coloursFor(terminal, {}).green('OK')).toBe('\u001b[32mOK\u001b[39m');
    expect(coloursFor(file, {}).green('OK')).toBe('OK');
  });
});
