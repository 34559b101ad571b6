/**
 * SPDX 2.3 JSON. The image is a CONTAINER package that DESCRIBES-relates to the document and
 * CONTAINS every other package; Portwarden-specific facts (source package, layer, path,
 * ecosystem) go into the package comment as `portwarden:key=value` lines, read back by readSbom.
 */
import type { Package } from '../model/inventory.ts';
import type { Report } from '../model/report.ts';
import { deterministicUuid, imagePurl, reportIdentity, validPurl } from './common.ts';
import { combinedSpdxExpression, nonSpdxLicenses } from './licenses.ts';

type Json = Record<string, unknown>;

/** Percent-escape so one value stays on one comment line. */
export function escapeCommentValue(value: string): string {
  return value.replace(/%/g, '%25').replace(/\n/g, '%0A').replace(/\r/g, '%0D');
}

function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'x';
}

function comment(pkg: Package): string {
  const lines = [`portwarden:ecosystem=${pkg.ecosystem}`, `portwarden:type=${pkg.type}`];
  if (pkg.source) lines.push(`portwarden:source:name=${pkg.source.name}`, `portwarden:source:version=${pkg.source.version}`);
  if (pkg.arch) lines.push(`portwarden:arch=${pkg.arch}`);
  if (pkg.epoch !== undefined) lines.push(`portwarden:epoch=${pkg.epoch}`);
  for (const loc of pkg.locations) {
    if (loc.layer) lines.push(`portwarden:layer=${loc.layer}`);
    lines.push(`portwarden:path=${loc.path}`);
  }
  if (pkg.dev) lines.push('portwarden:dev=true');
  if (pkg.indirect) lines.push('portwarden:indirect=true');
  return lines.map((l) => { const eq = l.indexOf('='); return `${l.slice(0, eq + 1)}${escapeCommentValue(l.slice(eq + 1))}`; }).join('\n');
}

export function renderSpdx(report: Report): Json {
  const used = new Set<string>();
  const spdxId = (base: string): string => {
    let id = `SPDXRef-${base}`;
    for (let n = 2; used.has(id); n++) id = `SPDXRef-${base}-${n}`;
    used.add(id);
    return id;
  };
  const subjectId = spdxId(report.digest ? 'Image' : 'Target');
  const purl = imagePurl(report);
  const subject: Json = {
    SPDXID: subjectId, name: report.artifact.reference || report.target, ...(report.digest ? { versionInfo: report.digest } : {}),
    downloadLocation: 'NOASSERTION', filesAnalyzed: false, licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION',
    primaryPackagePurpose: report.digest ? 'CONTAINER' : 'SOURCE',
    ...(purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl }] } : {}),
    comment: [`portwarden:target=${escapeCommentValue(report.target)}`, ...(report.digest ? [`portwarden:digest=${report.digest}`] : [])].join('\n'),
  };
  // readSbom finds the subject by CONTAINER purpose; a dir/sbom target is marked SOURCE and recovered by name.
  const packages: Json[] = [subject];
  const relationships: Json[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: subjectId }];
  if (report.os) {
    const osId = spdxId(`OperatingSystem-${sanitize(report.os.family)}`);
    packages.push({
      SPDXID: osId, name: report.os.family, versionInfo: report.os.version, description: report.os.name, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION', primaryPackagePurpose: 'OPERATING-SYSTEM',
      comment: [...(report.os.codename ? [`portwarden:os:codename=${report.os.codename}`] : []), ...(report.os.ecosystem ? [`portwarden:os:ecosystem=${report.os.ecosystem}`] : [])].join('\n'),
    });
    relationships.push({ spdxElementId: subjectId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }
  const sorted = [...report.packages].sort((a, b) => a.purl.localeCompare(b.purl) || a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  for (const pkg of sorted) {
    const id = spdxId(`Package-${sanitize(pkg.type)}-${sanitize(pkg.name)}-${sanitize(pkg.version)}`);
    packages.push({
      SPDXID: id, name: pkg.name, versionInfo: pkg.version, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION', licenseDeclared: combinedSpdxExpression(pkg.licenses) ?? 'NOASSERTION', copyrightText: 'NOASSERTION', primaryPackagePurpose: 'LIBRARY',
      // Licences that are not SPDX (Debian's `GPL-2+`) cannot be the declared expression; they are kept for people to read.
      ...(nonSpdxLicenses(pkg.licenses).length > 0 ? { licenseComments: `declared by the package, not SPDX licence ids: ${nonSpdxLicenses(pkg.licenses).join(', ')}` } : {}),
      ...(pkg.source ? { sourceInfo: `built from source package ${pkg.source.name} ${pkg.source.version}` } : {}),
      ...(validPurl(pkg.purl) ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }] } : {}),
      comment: comment(pkg),
    });
    relationships.push({ spdxElementId: subjectId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  }
  const name = report.artifact.reference || report.target;
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: `https://portwarden.dev/spdx/${encodeURIComponent(name)}-${deterministicUuid(reportIdentity(report))}`,
    creationInfo: { created: report.created_at.replace(/\.\d+Z$/, 'Z'), creators: [`Tool: ${report.tool.name}-${report.tool.version}`] },
    documentDescribes: [subjectId],
    packages,
    relationships,
  };
}
