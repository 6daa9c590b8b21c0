/**
 * YAML mistakes people make in plans, each reported in plain words at the line (and column) where it was
 * made, not where the parser noticed it.
 */
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { explainYamlErrors } from '../../lib/core/yaml-syntax.js';

function explain(text: string): string[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  return explainYamlErrors(text, doc.errors, lines).map((issue) => {
    const { line, col } = lines.linePos(issue.offset);
    return `${line}:${col} ${issue.message}`;
  });
}

const HEAD = 'name: demo\nhosts: { local: 3 }\n';

describe('Function: explainYamlErrors', () => {
  it.each([
    [
      'an unclosed double quote',
      `name: "demo\n${HEAD.slice(11)}workloads: []\n`,
      ['1:7 this double-quoted string has no closing "'],
    ],
    [
      'an unclosed single quote, which the parser notices only at the end of the file',
      `name: 'demo\nhosts: { local: 3 }\nworkloads:\n  - name: a\n    plugin: shell\n`,
      ["1:7 this single-quoted string has no closing '"],
    ],
    [
      'an unclosed quote inside { }, and nothing of what it swallowed',
      `${HEAD}workloads:\n  - name: a\n    plugin: shell\n    options: { command: "echo hi }\n  - name: b\n    plugin: shell\n`,
      ['6:25 this double-quoted string has no closing "'],
    ],
    [
      'an unclosed {',
      'name: demo\nhosts: { local: 3\nworkloads:\n  - name: a\n',
      ['2:8 this "{" is never closed with "}"'],
    ],
    ['an unclosed [', `${HEAD}setup: ["a", "b"\nworkloads: []\n`, ['3:8 this "[" is never closed with "]"']],
    [
      'a key indented deeper than the key above it',
      `${HEAD}workloads:\n  - name: a\n     plugin: shell\n  - name: b\n    plugin: shell\n`,
      ['5:6 bad indentation: this line is indented deeper than the key above it'],
    ],
    [
      'a key indented deeper under a value',
      `${HEAD}workloads:\n  - name: a\n    plugin: shell\n      options: {}\n`,
      ['6:7 bad indentation: this line is indented deeper than the key above it'],
    ],
    [
      'a top-level key indented by one space',
      'name: demo\n hosts: { local: 3 }\nworkloads: []\n',
      ['2:2 bad indentation: this line is indented deeper than the key above it'],
    ],
    [
      'a key indented less than the keys of its list item',
      `${HEAD}workloads:\n  - name: a\n    plugin: shell\n   options: {}\n`,
      [
        '6:4 bad indentation: this line is indented less than the keys above it and is not a list item ("- ")',
      ],
    ],
    [
      'a top-level key indented after the others',
      'name: demo\nhosts: { local: 3 }\n  workloads: []\n',
      ['3:1 bad indentation: this key is not in line with the keys above it'],
    ],
    [
      'list items out of line',
      `${HEAD}workloads:\n  - name: a\n    plugin: shell\n   - name: b\n     plugin: shell\n`,
      ['6:4 bad indentation: this "- " item is not in line with the items above it'],
    ],
    [
      'a tab as indentation',
      `${HEAD}workloads:\n\t- name: a\n`,
      ['4:1 a tab is used for indentation: YAML indents with spaces only'],
    ],
    [
      'a duplicate key',
      `${HEAD}name: other\nworkloads: []\n`,
      ['3:1 duplicate key "name": each key appears once in a mapping'],
    ],
    [
      'an unquoted ": " inside { }',
      `${HEAD}workloads:\n  - { name: a, plugin: shell, options: { command: echo a: b } }\n`,
      ['4:51 inside { … } or [ … ] this value needs quotes (it contains ": " or starts with "- ")'],
    ],
    [
      'an unquoted ": " in a value',
      `${HEAD}workloads:\n  - name: a: b\n`,
      ['4:11 this value contains ": ", which starts a nested mapping here'],
    ],
    [
      'a bad escape in double quotes',
      `name: "C:\\temp\\q"\nhosts: { local: 3 }\n`,
      ['1:15 \\q is not an escape sequence of double-quoted strings'],
    ],
    [
      'a value starting with a reserved character',
      'name: @demo\nhosts: { local: 3 }\n',
      ['1:7 a value cannot start with "@" unquoted'],
    ],
    [
      'a stray closing brace, and none of what follows it',
      'name: demo\nhosts: { local: 3 }}\nworkloads: []\n',
      ['2:20 unexpected "}"'],
    ],
  ])('explains %s', (_case, text, expected) => {
    expect(explain(text)).toEqual(expected);
  });

  it('reports independent mistakes together, in the order of the file', () => {
    const text = `name: demo\nname: again\nhosts: { local: 3 }\nworkloads:\n\t- name: a\n`;

    expect(explain(text)).toEqual([
      '2:1 duplicate key "name": each key appears once in a mapping',
      '5:1 a tab is used for indentation: YAML indents with spaces only',
    ]);
  });

  it('gives a hint with every explanation', () => {
    const lines = new LineCounter();
    const text = "name: 'demo\n";
    const doc = parseDocument(text, { lineCounter: lines });

    expect(explainYamlErrors(text, doc.errors, lines)).toEqual([
      {
        offset: 6,
        message: "this single-quoted string has no closing '",
        hint: expect.stringContaining("''"),
      },
    ]);
  });
});
