/**
 * CycloneDX 1.6 JSON with embedded vulnerabilities (VEX). Properties in the `portwarden:`
 * namespace carry what CycloneDX has no field for (source package, layer, path, ecosystem),
 * so readSbom can rebuild the exact packages and a re-match gives the same findings.
 */
import type { Package } from '../model/inventory.ts';
import type { Report, Vulnerability } from '../model/report.ts';
import { deterministicUuid, imagePurl, reportIdentity, validPurl } from './common.ts';
import { combinedSpdxExpression, isCompound, spdxExpression, spdxLicenseId } from './licenses.ts';

type Json = Record<string, unknown>;

function packageProperties(pkg: Package): { name: string; value: string }[] {
  const props: { name: string; value: string }[] = [
    { name: 'portwarden:ecosystem', value: pkg.ecosystem },
    { name: 'portwarden:type', value: pkg.type },
  ];
  if (pkg.source) {
    props.push({ name: 'portwarden:source:name', value: pkg.source.name }, { name: 'portwarden:source:version', value: pkg.source.version });
  }
  if (pkg.arch) props.push({ name: 'portwarden:arch', value: pkg.arch });
  if (pkg.epoch !== undefined) props.push({ name: 'portwarden:epoch', value: String(pkg.epoch) });
  for (const loc of pkg.locations) {
    if (loc.layer) props.push({ name: 'portwarden:layer', value: loc.layer });
    props.push({ name: 'portwarden:path', value: loc.path });
  }
  if (pkg.dev) props.push({ name: 'portwarden:dev', value: 'true' });
  if (pkg.indirect) props.push({ name: 'portwarden:indirect', value: 'true' });
  return props;
}

/**
 * CycloneDX `licenses` is either licences (`id` from the SPDX list, else `name`) or exactly one
 * `expression`: SPDX ids stay ids, a compound expression makes the whole list one expression when
 * every entry is SPDX, and anything else (Debian's `GPL-2+`) is a name.
 */
function cycloneDxLicenses(licenses: string[]): Json[] {
  const expressions = licenses.map(spdxExpression);
  if (expressions.some((e) => e !== undefined && isCompound(e))) {
    const combined = combinedSpdxExpression(licenses);
    if (combined) return [{ expression: combined }];
  }
  return licenses.map((l) => {
    const id = spdxLicenseId(l);
    return id ? { license: { id } } : { license: { name: l } };
  });
}

/** An RFC 3339 date-time as CycloneDX's `date-time` format wants it, or undefined for an unparsable one. */
function dateTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function uniqueRefs(packages: Package[]): Map<Package, string> {
  const refs = new Map<Package, string>();
  const used = new Set<string>();
  for (const pkg of packages) {
    const base = pkg.purl || `portwarden:${pkg.type}/${pkg.name}@${pkg.version}`;
    let ref = base;
    // The same purl can occur at several paths (two copies of one npm package); bom-refs must be unique.
    for (let n = 2; used.has(ref); n++) ref = `${base}#${n}`;
    used.add(ref);
    refs.set(pkg, ref);
  }
  return refs;
}

function analysis(v: Vulnerability): Json | undefined {
  if (!v.suppressed) return undefined;
  if (v.suppressed.by === 'vex' && v.suppressed.reason.startsWith('fixed')) return { state: 'resolved', detail: v.suppressed.reason };
  const justification = /^not_affected: (component_not_present|vulnerable_code_not_present|vulnerable_code_cannot_be_controlled_by_adversary|vulnerable_code_not_in_execute_path|inline_mitigations_already_exist)/.exec(v.suppressed.reason)?.[1];
  const cdxJustification: Record<string, string> = {
    component_not_present: 'requires_dependency',
    vulnerable_code_not_present: 'code_not_present',
    vulnerable_code_cannot_be_controlled_by_adversary: 'protected_by_mitigating_control',
    vulnerable_code_not_in_execute_path: 'code_not_reachable',
    inline_mitigations_already_exist: 'protected_by_mitigating_control',
  };
  const mapped = justification !== undefined ? cdxJustification[justification] : undefined;
  return { state: 'not_affected', ...(mapped ? { justification: mapped } : {}), detail: `${v.suppressed.by}: ${v.suppressed.reason}${v.suppressed.source ? ` (${v.suppressed.source})` : ''}` };
}

export function renderCycloneDx(report: Report): Json {
  const packages = [...report.packages].sort((a, b) => a.purl.localeCompare(b.purl) || a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const refs = uniqueRefs(packages);
  const components: Json[] = [];
  if (report.os) {
    components.push({
      type: 'operating-system', 'bom-ref': `portwarden:os/${report.os.family}@${report.os.version}`, name: report.os.family, version: report.os.version, description: report.os.name,
      properties: [
        ...(report.os.codename ? [{ name: 'portwarden:os:codename', value: report.os.codename }] : []),
        ...(report.os.ecosystem ? [{ name: 'portwarden:os:ecosystem', value: report.os.ecosystem }] : []),
      ],
    });
  }
  for (const pkg of packages) {
    components.push({
      type: 'library', 'bom-ref': refs.get(pkg), name: pkg.name, version: pkg.version,
      ...(validPurl(pkg.purl) ? { purl: pkg.purl } : {}),
      ...(pkg.licenses && pkg.licenses.length > 0 ? { licenses: cycloneDxLicenses(pkg.licenses) } : {}),
      properties: packageProperties(pkg),
    });
  }
  const refByPurl = new Map<string, string>();
  for (const [pkg, ref] of refs) if (!refByPurl.has(pkg.purl)) refByPurl.set(pkg.purl, ref);
  const byId = new Map<string, Vulnerability[]>();
  for (const v of report.vulnerabilities) byId.set(v.id, [...(byId.get(v.id) ?? []), v]);
  const vulnerabilities: Json[] = [];
  for (const id of [...byId.keys()].sort()) {
    const list = byId.get(id) ?? [];
    // CycloneDX carries one analysis per vulnerability entry, so suppressed and active findings of the same id are split.
    for (const group of [list.filter((v) => !v.suppressed), list.filter((v) => v.suppressed)]) {
      const first = group[0];
      if (first === undefined) continue;
      const ratings: Json[] = (first.cvss ?? []).map((c) => ({
        ...(c.source ? { source: { name: c.source } } : {}), score: c.score, severity: c.severity.toLowerCase(),
        method: c.version === '4.0' ? 'CVSSv4' : c.version === '2.0' ? 'CVSSv2' : c.version === '3.1' ? 'CVSSv31' : 'CVSSv3', vector: c.vector,
      }));
      if (ratings.length === 0) ratings.push({ severity: first.severity.toLowerCase() === 'unknown' ? 'unknown' : first.severity.toLowerCase() });
      const fixes = group.filter((v) => v.fixed_version).map((v) => `Upgrade ${v.package_name} to ${v.fixed_version}`);
      const a = analysis(first);
      vulnerabilities.push({
        'bom-ref': `${id}${first.suppressed ? '#suppressed' : ''}`, id,
        source: { name: id.startsWith('CVE-') ? 'NVD' : id.startsWith('GHSA-') ? 'GitHub' : 'OSV', ...(id.startsWith('CVE-') ? { url: `https://nvd.nist.gov/vuln/detail/${id}` } : {}) },
        ...(first.aliases.length > 0 ? { references: first.aliases.map((alias) => ({ id: alias, source: { name: alias.split('-')[0] ?? alias } })) } : {}),
        ratings,
        ...(first.description ? { description: first.description } : {}),
        ...(first.title ? { detail: first.title } : {}),
        ...(fixes.length > 0 ? { recommendation: [...new Set(fixes)].join('; ') } : {}),
        ...(first.references.length > 0 ? { advisories: first.references.map((url) => ({ url })) } : {}),
        ...(dateTime(first.published) ? { published: dateTime(first.published) } : {}),
        ...(dateTime(first.modified) ? { updated: dateTime(first.modified) } : {}),
        ...(a ? { analysis: a } : {}),
        affects: [...new Set(group.map((v) => refByPurl.get(v.purl)).filter((r): r is string => r !== undefined))].sort().map((ref) => ({ ref })),
      });
    }
  }
  const purl = imagePurl(report);
  const subjectRef = purl ?? `portwarden:target/${report.target}`;
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${deterministicUuid(reportIdentity(report))}`,
    version: 1,
    metadata: {
      timestamp: report.created_at,
      tools: { components: [{ type: 'application', name: report.tool.name, version: report.tool.version }] },
      component: {
        type: report.digest ? 'container' : 'application', 'bom-ref': subjectRef, name: report.artifact.reference || report.target,
        ...(report.digest ? { version: report.digest } : {}), ...(purl ? { purl } : {}),
        properties: [{ name: 'portwarden:target', value: report.target }, ...(report.digest ? [{ name: 'portwarden:digest', value: report.digest }] : [])],
      },
    },
    components,
    dependencies: [{ ref: subjectRef, dependsOn: components.map((c) => c['bom-ref'] as string) }],
    vulnerabilities,
  };
}
