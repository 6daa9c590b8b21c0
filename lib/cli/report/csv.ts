/**
 * `report --format csv`: one row per workload × metric × host, plus a fleet row per workload × metric
 * (`scope` = fleet, `host` empty — a host may well be called "fleet"), with full-precision numbers and
 * empty cells for values that do not exist (stdev of one value). Fields are quoted as RFC 4180 says;
 * lines end in \n, as Unix tools expect.
 */
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
] as const;

/**
 * One CSV field: quoted when it holds a comma, a quote or a line break.
 * @example
 * csvField('a,b'); // '"a,b"'
 * csvField(null); // ''
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' && !Number.isFinite(value) ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * @example
 * renderCsv(report).split('\n')[0]; // 'workload,metric,unit,direction,scope,host,n,mean,…'
 */
export function renderCsv(report: RunReport): string {
  const rows: (string | number | boolean | null)[][] = [];
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
      ]);
    }
  }
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(csvField).join(','))]
    .map((line) => `${line}\n`)
    .join('');
}
