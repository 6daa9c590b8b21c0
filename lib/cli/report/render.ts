/**
 * One entry point from a report format to its text, shared by `report` and `export` (report.json).
 */
import type { RunReport } from '../../core/report/run-report.js';
import { stableJson } from '../../core/report/stable-json.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { ReportFormat } from './options.js';

/**
 * @example
 * renderReport(report, 'csv'); // 'workload,metric,unit,…\ncpu,bogo_ops,ops,…'
 */
export function renderReport(report: RunReport, format: ReportFormat): string {
  switch (format) {
    case 'md':
      return renderMarkdown(report);
    case 'csv':
      return renderCsv(report);
    case 'json':
      return stableJson(report);
    case 'html':
      return renderHtml(report);
  }
}
