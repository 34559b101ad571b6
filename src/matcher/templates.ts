/**
 * Findings from groups of hits: the package-independent part (a template, built once per lookup key
 * and group), then one finding per package that has the key.
 */
import type { Package } from '../model/inventory.ts';
import type { FixStatus, MatchEvidence, Severity, Vulnerability } from '../model/report.ts';
import { SEVERITIES } from '../model/report.ts';
import type { VersionScheme } from '../versions/types.ts';
import { ecosystemBase, isOsEcosystem } from '../vulndb/names.ts';
import { selectSeverity } from '../vulndb/severity.ts';
import type { SeverityInput } from '../vulndb/severity.ts';
import { evidenceOf, fixStatusOf } from './evaluation.ts';
import type { Hit } from './evaluation.ts';
import type { Group } from './grouping.ts';

function firstLine(text: string, max = 160): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Package-independent part of a finding, computed once per (query, group) and shared by packages with the same query. */
export type FindingTemplate = Omit<Vulnerability, 'package_name' | 'installed_version' | 'purl' | 'layer' | 'path'>;

export function instantiate(t: FindingTemplate, pkg: Package): Vulnerability {
  // Arrays (aliases, references, cvss, evidence) are shared between findings of identical packages; treat them as read-only.
  // A literal of the always-present fields allocates the object at (nearly) its final size, where
  // copying the template into `{}` grew the property store several times per finding. Key order: the
  // template's, then the package's.
  const vuln: Vulnerability = {
    id: t.id, aliases: t.aliases, cve_id: t.cve_id, severity: t.severity, severity_source: t.severity_source as string,
    fixed_version: t.fixed_version, ecosystem: t.ecosystem, status: t.status, title: t.title, description: t.description,
    references: t.references, evidence: t.evidence as MatchEvidence[],
  } as Vulnerability;
  if (t.cvss) vuln.cvss = t.cvss;
  if (t.vendor_severity) vuln.vendor_severity = t.vendor_severity;
  if (t.published) vuln.published = t.published;
  if (t.modified) vuln.modified = t.modified;
  vuln.package_name = pkg.name;
  vuln.installed_version = pkg.version;
  vuln.purl = pkg.purl;
  const loc = pkg.locations[0];
  if (loc) {
    if (loc.layer) vuln.layer = loc.layer;
    vuln.path = loc.path;
  }
  return vuln;
}

export function buildTemplate(group: Group, scheme: VersionScheme, ecosystem: string): FindingTemplate {
  // Index loops and no throw-away arrays: this runs once per finding template (thousands per scan),
  // mostly before the JIT has optimised it, where every for-of step allocates.
  const { hits, primary } = group;
  const aliasSet = new Set<string>();
  const references = new Set<string>();
  let title = '';
  let description = '';
  let published: string | undefined;
  let modified: string | undefined;
  let fixed: string | null = null;
  let willNotFix = false;
  const severityInputs: SeverityInput[] = [];
  const evidence: MatchEvidence[] = [];
  for (let h = 0; h < hits.length; h++) {
    const hit = hits[h] as Hit;
    const d = hit.detail;
    const cves = hit.cves;
    addAlias(aliasSet, d.id, primary, cves);
    if (d.aliases) for (let i = 0; i < d.aliases.length; i++) addAlias(aliasSet, d.aliases[i] as string, primary, cves);
    if (d.upstream) for (let i = 0; i < d.upstream.length; i++) addAlias(aliasSet, d.upstream[i] as string, primary, cves);
    if (d.references) for (let i = 0; i < d.references.length; i++) references.add((d.references[i] as { url: string }).url);
    if (!title && d.summary) title = d.summary;
    if (!description && d.details) description = d.details;
    if (d.published && !d.published.startsWith('0001-') && (!published || d.published < published)) published = d.published;
    if (d.modified && !d.modified.startsWith('0001-') && (!modified || d.modified > modified)) modified = d.modified;
    // The highest fix of the group: the version that clears every advisory in it.
    const f = hit.verdict.fixed;
    if (f !== null) {
      try {
        if (fixed === null || scheme.compare(f, fixed) > 0) fixed = f;
      } catch {
        fixed ??= f;
      }
    }
    if (fixStatusOf(hit) === 'will_not_fix') willNotFix = true;
    severityInputs.push({ record: d, affectedSeverity: hit.row.data.severity, ecosystemSpecific: hit.row.data.ecosystem_specific, databaseSpecific: hit.row.data.database_specific });
    evidence.push(evidenceOf(hit));
  }
  if (!title) title = firstLine(description) || primary;
  const status: FixStatus = fixed ? 'fixed' : willNotFix ? 'will_not_fix' : 'affected';
  const distro = isOsEcosystem(ecosystem) ? ecosystemBase(ecosystem).toLowerCase() : undefined;
  const sev = selectSeverity(severityInputs, distro);
  const aliases = [...aliasSet];
  let cve = primary;
  if (!primary.startsWith('CVE-')) {
    for (let i = 0; i < aliases.length; i++) {
      if ((aliases[i] as string).startsWith('CVE-')) {
        cve = aliases[i] as string;
        break;
      }
    }
  }
  if (aliases.length > 1) aliases.sort();
  const vuln: FindingTemplate = {
    id: primary,
    aliases,
    cve_id: cve,
    severity: sev.severity,
    severity_source: sev.source,
    fixed_version: fixed,
    ecosystem,
    status,
    title,
    description,
    references: [...references],
    evidence,
  };
  if (sev.cvss.length) vuln.cvss = sev.cvss;
  if (Object.keys(sev.vendor).length) vuln.vendor_severity = sev.vendor;
  if (published) vuln.published = published;
  if (modified) vuln.modified = modified;
  return vuln;
}

/** A record covering several CVEs is split; its other CVEs are other findings, not aliases. */
function addAlias(aliases: Set<string>, id: string, primary: string, cves: string[]): void {
  if (id === primary || (cves.length > 1 && cves.includes(id))) return;
  aliases.add(id);
}

const SEVERITY_ORDER = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));

// Code-unit order, not localeCompare: stable across locales and ~50x cheaper on large result sets.
export function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

export function bySeverityThenId(a: FindingTemplate, b: FindingTemplate): number {
  return (SEVERITY_ORDER.get(a.severity) ?? 9) - (SEVERITY_ORDER.get(b.severity) ?? 9) || compareText(a.id, b.id);
}
