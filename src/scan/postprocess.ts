/**
 * What the user asked to see: suppression by ignore file and VEX (suppressed findings stay listed),
 * then severity and fix-state filters, then the summary of what is left. Shared by the CLI and the
 * service so a gate means the same thing in both.
 */
import { readFileSync } from 'node:fs';
import type { Report, Severity } from '../model/report.ts';
import { applyIgnoreRules, parseIgnoreFile } from '../policy/ignorefile.ts';
import { applyVex, parseOpenVex } from '../policy/vex.ts';
import { summarize } from '../report/summary.ts';
import { UserInputError, errorMessage } from '../util/errors.ts';

export interface PostProcessOptions {
  severities?: Severity[];
  ignoreUnfixed?: boolean;
  ignorefile?: string;
  vex?: string[];
}

function readInput(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserInputError(`cannot read ${what} ${file}: ${errorMessage(err)}`);
  }
}

export function postProcess(input: Report, opts: PostProcessOptions): { report: Report; failing: boolean } {
  let report = input;
  if (opts.ignorefile) report = applyIgnoreRules(report, parseIgnoreFile(readInput(opts.ignorefile, 'ignore file'), opts.ignorefile));
  for (const file of opts.vex ?? []) report = applyVex(report, parseOpenVex(readInput(file, 'VEX document'), file));
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
