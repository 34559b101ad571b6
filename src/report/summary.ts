import type { Severity, Summary, Vulnerability } from '../model/report.ts';

const KEY: Record<Severity, keyof Omit<Summary, 'total'>> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MEDIUM: 'medium',
  LOW: 'low',
  UNKNOWN: 'unknown',
};

/** Counts findings by severity. Suppressed findings (ignore file, VEX) are listed in reports but not counted. */
export function summarize(vulns: readonly Vulnerability[]): Summary {
  const s: Summary = { critical: 0, high: 0, medium: 0, low: 0, unknown: 0, total: 0 };
  for (const v of vulns) {
    if (v.suppressed) continue;
    s[KEY[v.severity]]++;
    s.total++;
  }
  return s;
}
