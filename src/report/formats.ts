/** The report formats, by name: known to the CLI without loading any renderer. */
export const REPORT_FORMATS = ['table', 'json', 'sarif', 'cyclonedx-json', 'spdx-json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
