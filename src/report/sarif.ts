/**
 * SARIF 2.1.0: one rule per vulnerability id / secret rule, one result per finding. Suppressed
 * findings stay as results with `suppressions[]` so code-scanning UIs show them as dismissed.
 */
import { createHash } from 'node:crypto';
import type { Report, Severity, Vulnerability } from '../model/report.ts';
import { severityScore } from './common.ts';

type Json = Record<string, unknown>;

function level(severity: Severity): 'error' | 'warning' | 'note' {
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  if (severity === 'MEDIUM') return 'warning';
  return 'note';
}

function securitySeverity(v: Vulnerability): string {
  const scores = (v.cvss ?? []).map((c) => c.score).filter((s) => Number.isFinite(s));
  const score = scores.length > 0 ? Math.max(...scores) : severityScore(v.severity);
  return score.toFixed(1);
}

function fingerprint(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

function helpUri(id: string): string {
  if (id.startsWith('CVE-')) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (id.startsWith('GHSA-')) return `https://github.com/advisories/${id}`;
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

/**
 * A path as a relative URI reference (SARIF `artifactLocation.uri` is `uri-reference`): spaces,
 * `%`, `?`, `#` and non-ASCII are percent-encoded, and a first segment with a `:` gets `./` so it
 * is not read as a scheme (`a:b/c` → `./a:b/c`).
 */
export function pathToUriReference(path: string): string {
  // encodeURI throws on a lone surrogate; such a name can only be shown as U+FFFD.
  const wellFormed = path.replace(/^\/+/, '').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  const encoded = encodeURI(wellFormed).replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'));
  const first = encoded.split('/')[0] ?? '';
  return first.includes(':') ? `./${encoded}` : encoded;
}

function uriOf(path: string | undefined, report: Report): string {
  // Findings in the image config (or without a path) point at the image itself.
  if (path === undefined || path === '' || path.startsWith('config:')) return pathToUriReference(report.artifact.reference || report.target);
  return pathToUriReference(path);
}

export function renderSarif(report: Report): Json {
  const rules = new Map<string, Json>();
  const ruleIndexes = new Map<string, number>();
  const ruleIndex = (id: string): number => ruleIndexes.get(id) ?? -1;
  const results: Json[] = [];
  const vulns = [...report.vulnerabilities].sort((a, b) => a.id.localeCompare(b.id) || a.purl.localeCompare(b.purl));
  for (const v of vulns) {
    if (!rules.has(v.id)) {
      ruleIndexes.set(v.id, rules.size);
      rules.set(v.id, {
        id: v.id,
        name: 'OsPackageVulnerability',
        shortDescription: { text: (v.title || v.id).slice(0, 1000) },
        fullDescription: { text: v.description || v.title || v.id },
        helpUri: helpUri(v.id),
        help: { text: `${v.id} (${v.severity})${v.fixed_version ? `: upgrade ${v.package_name} to ${v.fixed_version}` : ''}`, markdown: `**${v.id}** (${v.severity})` },
        properties: { 'security-severity': securitySeverity(v), precision: 'very-high', tags: ['vulnerability', 'security', v.severity] },
      });
    }
    const text = `Package: ${v.package_name}\nInstalled Version: ${v.installed_version}\nVulnerability ${v.id}\nSeverity: ${v.severity}\nFixed Version: ${v.fixed_version ?? 'none'}${v.status === 'will_not_fix' ? ' (will not fix)' : ''}`;
    results.push({
      ruleId: v.id,
      ruleIndex: ruleIndex(v.id),
      level: level(v.severity),
      message: { text },
      locations: [{ physicalLocation: { artifactLocation: { uri: uriOf(v.path, report) }, region: { startLine: 1 } }, message: { text: `${v.package_name}@${v.installed_version}` } }],
      partialFingerprints: { 'portwarden/v1': fingerprint(v.id, v.purl, v.path ?? '') },
      ...(v.suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${v.suppressed.by}: ${v.suppressed.reason}` }] } : {}),
    });
  }
  const secrets = [...report.secrets].sort((a, b) => a.rule_id.localeCompare(b.rule_id) || a.path.localeCompare(b.path) || (a.line ?? 0) - (b.line ?? 0));
  for (const s of secrets) {
    const ruleId = `secret/${s.rule_id}`;
    if (!rules.has(ruleId)) {
      ruleIndexes.set(ruleId, rules.size);
      rules.set(ruleId, {
        id: ruleId, name: 'Secret', shortDescription: { text: s.title }, fullDescription: { text: `${s.title} (${s.category})` },
        helpUri: 'https://portwarden.dev/docs/secrets',
        properties: { 'security-severity': severityScore(s.severity).toFixed(1), precision: 'high', tags: ['secret', 'security', s.severity] },
      });
    }
    results.push({
      ruleId, ruleIndex: ruleIndex(ruleId), level: level(s.severity),
      message: { text: `${s.title}: ${s.match}${s.deleted ? ' (deleted in a later layer, still in the image)' : ''}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: uriOf(s.path, report) }, region: { startLine: Math.max(1, s.line ?? 1) } } }],
      partialFingerprints: { 'portwarden/v1': fingerprint(ruleId, s.path, String(s.line ?? ''), s.layer ?? '') },
    });
  }
  return {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'portwarden', version: report.tool.version, informationUri: 'https://portwarden.dev', rules: [...rules.values()] } },
      results,
      properties: { target: report.target, ...(report.digest ? { digest: report.digest } : {}), created_at: report.created_at },
    }],
  };
}
