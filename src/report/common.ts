import { createHash } from 'node:crypto';
import { PackageURL } from 'packageurl-js';
import type { Report } from '../model/report.ts';

/** RFC 4122 name-based (SHA-1, version 5 layout) UUID, so the same report always gets the same id. */
export function deterministicUuid(name: string): string {
  const bytes = createHash('sha1').update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function reportIdentity(report: Report): string {
  return `${report.digest ?? report.target}\u0000${report.created_at}`;
}

/** Image name without tag or digest, for `pkg:oci/NAME@DIGEST?repository_url=…`. */
export function imagePurl(report: Report): string | undefined {
  if (report.digest === undefined) return undefined;
  const ref = report.artifact.reference.replace(/@sha256:[0-9a-f]+$/i, '');
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  const repo = colon >= 0 ? ref.slice(0, colon) : ref;
  const name = (repo.split('/').pop() ?? repo).toLowerCase();
  const tag = colon >= 0 ? ref.slice(colon + 1) : undefined;
  const qualifiers = [`repository_url=${encodeURIComponent(repo)}`];
  if (tag) qualifiers.push(`tag=${encodeURIComponent(tag)}`);
  const purl = `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(report.digest)}?${qualifiers.join('&')}`;
  // A reference outside the Docker grammar (only from a foreign SBOM) can make an unparsable purl: leave it out.
  try {
    PackageURL.fromString(purl);
    return purl;
  } catch {
    return undefined;
  }
}

export function severityScore(severity: string): number {
  switch (severity) {
    case 'CRITICAL': return 9.5;
    case 'HIGH': return 8.0;
    case 'MEDIUM': return 5.5;
    case 'LOW': return 2.0;
    default: return 0;
  }
}

/**
 * The purl when it has Package URL syntax (`pkg:TYPE/[NAMESPACE/]NAME[@VERSION][?QUALIFIERS][#SUBPATH]`,
 * no whitespace), else undefined. Analyzers build purls with packageurl-js; one read from a foreign
 * SBOM is taken as given, and SPDX and CycloneDX consumers reject one that is not even a purl.
 * Type-specific rules (a Maven namespace) are not enforced: such a purl still names the package.
 */
export function validPurl(purl: string | undefined): string | undefined {
  if (!purl || /[\s\u0000-\u001f\u007f]/.test(purl)) return undefined;
  const m = /^pkg:\/*([A-Za-z.+-][A-Za-z0-9.+-]*)\/([^?#]+)/.exec(purl);
  if (!m?.[2]) return undefined;
  const name = (m[2].split('@')[0] ?? '').split('/').filter(Boolean).at(-1);
  return name ? purl : undefined;
}
