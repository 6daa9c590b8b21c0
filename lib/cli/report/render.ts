/**
 * One entry point from a report format to its text, for `report`. Each format's renderer is imported when
 * it is asked for, so a Markdown report loads neither the CSV library nor the colour science of the charts.
 */
import type { RunReport } from '../../core/report/run-report.js';
import type { ReportFormat } from './options.js';

/**
 * @example
 * await renderReport(report, 'csv'); // 'workload,metric,unit,…\ncpu,bogo_ops,ops,…'
 */
export async function renderReport(report: RunReport, format: ReportFormat): Promise<string> {
  switch (format) {
    case 'md':
      return (await import('./markdown.js')).renderMarkdown(report);
    case 'csv':
      return (await import('./csv.js')).renderCsv(report);
    case 'json':
      return (await import('../../core/report/stable-json.js')).stableJson(report);
    case 'html':
      return (await import('./html.js')).renderHtml(report);
  }
}
