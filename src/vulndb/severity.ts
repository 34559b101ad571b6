/**
 * One severity per finding, chosen by documented rules (docs/matching.md):
 * 1. OS packages: the distribution's own rating when it gave one (Debian urgency, Ubuntu priority),
 *    like Trivy's vendor-first rule for distros: it reflects the backport actually shipped;
 * 2. else the CVSS score of the highest CVSS version present (4.0 > 3.1 > 3.0 > 2.0), NVD before
 *    GHSA before other publishers, higher score first on a tie;
 * 3. else the record's `database_specific.severity` (GHSA's LOW/MODERATE/HIGH/CRITICAL);
 * 4. else UNKNOWN.
 * Everything else seen is kept in `cvss` and `vendor_severity`.
 */
import type { CvssScore, Severity } from '../model/report.ts';
import { tryScoreCvss } from './cvss.ts';
import type { OsvRecord, OsvSeverity } from './osv.ts';

/** Publisher of a record, from its id prefix: `GHSA-…` → ghsa, `UBUNTU-CVE-…`/`USN-…` → ubuntu. */
export function recordSource(id: string): string {
  // indexOf, not split: called for every matched record of a scan.
  const dash = id.indexOf('-');
  const prefix = (dash < 0 ? id : id.slice(0, dash)).toUpperCase();
  switch (prefix) {
    case 'GHSA': return 'ghsa';
    case 'CVE': return 'nvd';
    case 'USN': case 'UBUNTU': return 'ubuntu';
    case 'DSA': case 'DLA': case 'DTSA': case 'DEBIAN': return 'debian';
    case 'ALPINE': return 'alpine';
    case 'PYSEC': return 'pypa';
    case 'GO': return 'go';
    case 'RUSTSEC': return 'rustsec';
    default: return prefix.toLowerCase() || 'unknown';
  }
}

/** Distro and database words → Severity; undefined for words that carry no rating (`untriaged`, `not yet assigned`). */
export function severityFromWord(word: string): Severity | undefined {
  switch (word.trim().replace(/\*+$/, '').toLowerCase()) {
    case 'critical': return 'CRITICAL';
    case 'high': case 'important': return 'HIGH';
    case 'medium': case 'moderate': return 'MEDIUM';
    case 'low': case 'negligible': case 'unimportant': return 'LOW';
    default: return undefined;
  }
}

/** The facts about one matched advisory that severity selection needs. */
export interface SeverityInput {
  record: Pick<OsvRecord, 'id' | 'severity' | 'database_specific'>;
  /** The matched affected entry's own severity and ecosystem_specific (Debian urgency lives there). */
  affectedSeverity?: OsvSeverity[] | undefined;
  ecosystemSpecific?: Record<string, unknown> | undefined;
  databaseSpecific?: Record<string, unknown> | undefined;
}

export interface SeverityChoice {
  severity: Severity;
  source: string;
  cvss: CvssScore[];
  vendor: Record<string, string>;
}

const scoreCache = new Map<string, CvssScore | null>();
/**
 * Vectors repeat across findings; scores are cached per (publisher, vector), so one scored object
 * serves every finding that cites it (findings treat their `cvss` entries as read-only). Bounded:
 * cleared past 50,000 entries.
 */
function scoreCached(source: string, vector: string): CvssScore | undefined {
  const key = `${source}|${vector}`;
  let hit = scoreCache.get(key);
  if (hit === undefined) {
    if (scoreCache.size > 50_000) scoreCache.clear();
    const scored = tryScoreCvss(vector);
    hit = scored ? { ...scored, source } : null;
    scoreCache.set(key, hit);
  }
  return hit ?? undefined;
}

const VERSION_RANK: Record<CvssScore['version'], number> = { '4.0': 4, '3.1': 3, '3.0': 2, '2.0': 1 };
const SOURCE_RANK = (s: string | undefined): number => (s === 'nvd' ? 0 : s === 'ghsa' ? 1 : 2);

function cvssType(type: string): boolean {
  return type === 'CVSS_V3' || type === 'CVSS_V4' || type === 'CVSS_V2';
}

export function selectSeverity(inputs: SeverityInput[], osDistro?: string): SeverityChoice {
  // Runs once per finding template (thousands per scan), mostly before the JIT has optimised it:
  // index loops, no spread copies, and scored vectors shared through the cache.
  const cvss: CvssScore[] = [];
  const vendor: Record<string, string> = {};
  let databaseSeverity: { source: string; severity: Severity }[] | undefined;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as SeverityInput;
    const source = recordSource(input.record.id);
    addSeverities(cvss, vendor, source, input.record.severity);
    addSeverities(cvss, vendor, source, input.affectedSeverity);
    const urgency = input.ecosystemSpecific?.urgency;
    if (typeof urgency === 'string' && source === 'debian') vendor.debian ??= urgency;
    for (let d = 0; d < 2; d++) {
      const sev = (d === 0 ? input.databaseSpecific : input.record.database_specific)?.severity;
      if (typeof sev === 'string') {
        const s = severityFromWord(sev);
        if (s) {
          (databaseSeverity ??= []).push({ source, severity: s });
          vendor[source] ??= sev;
        }
      }
    }
  }
  // Usually one vector: skip the sort (it allocates even for one element, once per finding template).
  if (cvss.length > 1) cvss.sort((a, b) => VERSION_RANK[b.version] - VERSION_RANK[a.version] || SOURCE_RANK(a.source) - SOURCE_RANK(b.source) || b.score - a.score);
  if (osDistro) {
    const word = vendor[osDistro];
    const s = word ? severityFromWord(word) : undefined;
    if (s) return { severity: s, source: osDistro, cvss, vendor };
  }
  const best = cvss.find((c) => c.score > 0);
  if (best) return { severity: best.severity, source: `cvss-v${best.version}:${best.source ?? 'unknown'}`, cvss, vendor };
  const ds = databaseSeverity?.find((d) => d.source === 'ghsa') ?? databaseSeverity?.[0];
  if (ds) return { severity: ds.severity, source: ds.source, cvss, vendor };
  return { severity: 'UNKNOWN', source: 'none', cvss, vendor };
}

/** CVSS vectors (each (publisher, vector) once: the cache hands out one object per pair) and Ubuntu priorities. */
function addSeverities(cvss: CvssScore[], vendor: Record<string, string>, source: string, severities: OsvSeverity[] | undefined): void {
  if (!severities) return;
  for (let i = 0; i < severities.length; i++) {
    const s = severities[i] as OsvSeverity;
    if (cvssType(s.type)) {
      const scored = scoreCached(source, s.score);
      if (scored && !cvss.includes(scored)) cvss.push(scored);
    } else if (s.type.toLowerCase() === 'ubuntu') vendor.ubuntu ??= s.score;
  }
}
