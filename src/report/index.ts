/**
 * Report rendering: one entry point per format, all pure functions of the Report.
 */
import type { Report } from '../model/report.ts';
import { UserInputError } from '../util/errors.ts';

import { renderTable } from './table.ts';
import { renderCycloneDx } from './cyclonedx.ts';
import { renderSpdx } from './spdx.ts';
import { renderSarif } from './sarif.ts';

export { summarize } from './summary.ts';

import type { ReportFormat } from './formats.ts';

export { REPORT_FORMATS } from './formats.ts';
export type { ReportFormat } from './formats.ts';

export interface RenderOptions {
  color?: boolean;
  /** Terminal width for `table` (default 100). */
  width?: number;
  showSuppressed?: boolean;
}

export function renderReport(report: Report, format: ReportFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'cyclonedx-json':
      return `${JSON.stringify(renderCycloneDx(report), null, 2)}\n`;
    case 'spdx-json':
      return `${JSON.stringify(renderSpdx(report), null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(renderSarif(report), null, 2)}\n`;
    case 'table':
      return renderTable(report, opts);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    default:
      throw new UserInputError(`report format ${format} is not available yet`);
  }
}
