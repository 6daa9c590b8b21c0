import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvText, renderCsv } from '../../lib/cli/report/csv.js';
import { buildRunReport } from '../../lib/core/report/run-report.js';
import { input, tasksOf } from '../core/report/fixtures.js';

describe('Function: csvText', () => {
  it.each([
    ['a plain field as it is', ['cpu'], 'cpu\n'],
    ['a comma inside quotes', ['a,b'], '"a,b"\n'],
    ['a quote doubled inside quotes', ['say "hi"'], '"say ""hi"""\n'],
    ['a line feed inside quotes', ['two\nlines'], '"two\nlines"\n'],
    ['a carriage return inside quotes', ['cr\r'], '"cr\r"\n'],
    ['null, NaN and infinities as empty cells', [null, Number.NaN, Number.POSITIVE_INFINITY], ',,\n'],
    ['numbers at full precision', [0.1 + 0.2, 1e-7, 1234567.891], '0.30000000000000004,1e-7,1234567.891\n'],
    ['booleans as words', [true, false], 'true,false\n'],
  ])('writes %s', (_, row, expected) => {
    expect(csvText([row])).toBe(expected);
  });
});

describe('Function: renderCsv', () => {
  it('writes the header, a fleet row and a row per host, with the outlier test’s p last', () => {
    // Prepare: host-3 is 31 % below the others, every host with 3 steady repetitions.
    const report = buildRunReport(
      input(
        tasksOf('cpu', 'bogo_ops', 'ops', {
          'host-1': [100, 101, 102],
          'host-2': [99, 100, 101],
          'host-3': [69, 70, 71],
        }),
      ),
    );

    // Act
    const lines = renderCsv(report).split('\n');

    // Assess
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(CSV_COLUMNS.at(-1)).toBe('outlier_p');
    expect(lines[1]).toBe(
      'cpu,bogo_ops,ops,higher,fleet,,9,90.33333333333333,15.280706789936124,69,102,16.915911575575045,100,,,',
    );
    expect(lines[4]).toMatch(
      /^cpu,bogo_ops,ops,higher,host,host-3,3,70,1,69,71,1\.4285714285714286,,-30,true,0\.00\d+$/,
    );
    expect(lines.at(-1)).toBe('');
  });
});
