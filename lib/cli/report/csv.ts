/**
 * `report --format csv`: one row per workload × metric × host, plus a fleet row per workload × metric
 * (`scope` = fleet, `host` empty — a host may well be called "fleet"), with full-precision numbers and
 * empty cells for values that do not exist (stdev of one value). Fields are quoted as RFC 4180 says, by
 * csv-stringify; lines end in \n, as Unix tools expect.
 */
import { stringify } from 'csv-stringify/sync';
import type { RunReport } from '../../core/report/run-report.js';

export const CSV_COLUMNS = [
  'workload',
  'metric',
  'unit',
  'direction',
  'scope',
  'host',
  'n',
  'mean',
  'stdev',
  'min',
  'max',
  'cv_percent',
  'median_of_host_means',
  'deviation_percent',
  'outlier',
  'outlier_p',
] as const;

type Cell = string | number | boolean | null;

/** How cells become text: a number that does not exist (NaN, an infinite t) and null are empty. */
const CAST = {
  number: (value: number) => (Number.isFinite(value) ? String(value) : ''),
  boolean: (value: boolean) => String(value),
};

/**
 * Rows as CSV text: quoted where a field holds a comma, a quote or a line break; `\n` line ends.
 * @example
 * csvText([['a,b', 1, null, true]]); // '"a,b",1,,true\n'
 */
export function csvText(rows: readonly (readonly Cell[])[]): string {
  return stringify(
    rows.map((r) => [...r]),
    // A carriage return needs quotes too (RFC 4180), though \n is the record delimiter.
    { cast: CAST, record_delimiter: 'unix', eof: true, quoted_match: /\r/ },
  );
}

/**
 * @example
 * renderCsv(report).split('\n')[0]; // 'workload,metric,unit,direction,scope,host,n,mean,…'
 */
export function renderCsv(report: RunReport): string {
  const rows: Cell[][] = [[...CSV_COLUMNS]];
  for (const m of report.metrics) {
    const id = [m.workload, m.metric, m.unit, m.direction];
    const f = m.fleet;
    rows.push([
      ...id,
      'fleet',
      null,
      f.n,
      f.mean,
      f.stdev,
      f.min,
      f.max,
      f.cvPercent,
      f.medianOfHostMeans,
      null,
      null,
      null,
    ]);
    for (const h of m.hosts) {
      rows.push([
        ...id,
        'host',
        h.host,
        h.n,
        h.mean,
        h.stdev,
        h.min,
        h.max,
        h.cvPercent,
        null,
        h.deviationPercent,
        h.outlier,
        h.outlierP,
      ]);
    }
  }
  return csvText(rows);
}
