/**
 * Package → lookups in the advisory index. OS packages are looked up by their SOURCE package in their
 * own release's ecosystem only (`Debian:11` data never judges a Debian 12 image); language packages
 * by (ecosystem, normalised name).
 */
import type { OSInfo, Package } from '../model/inventory.ts';
import { ecosystemBase, isOsEcosystem, normalizeEcosystem } from '../vulndb/names.ts';

/** How a package is looked up: which ecosystem, name and version decide. */
export interface MatchQuery {
  ecosystem: string;
  name: string;
  version: string;
  via: 'binary' | 'source';
}

/** Go toolchain versions appear as `go1.21.3`, `v1.21.3` or `1.21.3`; OSV's stdlib records use the bare form. */
export function normalizeGoStdlibVersion(version: string): string {
  return version.replace(/^go(?=\d)/, '').replace(/^v(?=\d)/, '');
}

/** The ecosystem a package is matched in: its own, else (OS packages) the detected OS's. */
export function packageEcosystem(pkg: Package, os: OSInfo | undefined): string {
  const raw = pkg.ecosystem || ((pkg.type === 'deb' || pkg.type === 'apk' || pkg.type === 'rpm') && os?.ecosystem) || '';
  if (!raw) return '';
  // An inventory spells a handful of ecosystems thousands of times; normalising is four regexes.
  let normalized = normalizedEcosystems.get(raw);
  if (normalized === undefined) {
    if (normalizedEcosystems.size >= 1_000) normalizedEcosystems.clear();
    normalizedEcosystems.set(raw, (normalized = normalizeEcosystem(raw)));
  }
  return normalized;
}
const normalizedEcosystems = new Map<string, string>();

const RPM_FAMILIES = new Set(['Red Hat', 'Rocky Linux', 'AlmaLinux', 'CentOS', 'Oracle Linux', 'Fedora', 'Amazon Linux', 'openSUSE', 'SUSE', 'Mariner', 'Azure Linux', 'Photon OS', 'Mageia', 'openEuler']);

/**
 * How a package is looked up, in order of preference. Debian/Ubuntu/Alpine feeds are keyed by
 * SOURCE package (openssl, not libssl3) and judge the source version. rpm-distro OSV data names
 * binary RPMs (AlmaLinux `openssl-libs`), so rpm packages are looked up by binary name and by source
 * RPM name. CentOS has no feed of its own: its packages are also judged by RHEL data (`Red Hat:N`),
 * as Trivy does.
 */
export function queriesFor(pkg: Package, os: OSInfo | undefined): MatchQuery[] {
  const ecosystem = packageEcosystem(pkg, os);
  if (!ecosystem || !pkg.version) return [];
  if (isOsEcosystem(ecosystem)) {
    const family = ecosystemBase(ecosystem);
    const source: MatchQuery | undefined = pkg.source?.name ? { ecosystem, name: pkg.source.name, version: pkg.source.version || pkg.version, via: 'source' } : undefined;
    const binary: MatchQuery = { ecosystem, name: pkg.name, version: pkg.version, via: 'binary' };
    let queries: MatchQuery[];
    if (RPM_FAMILIES.has(family) || pkg.type === 'rpm') queries = source && source.name !== binary.name ? [binary, source] : [binary];
    else queries = [source ?? binary];
    if (family === 'CentOS') {
      const rhel = `Red Hat:${ecosystem.slice('CentOS:'.length).split('.')[0]}`;
      queries = [...queries, ...queries.map((q) => ({ ...q, ecosystem: rhel }))];
    }
    return queries;
  }
  if (pkg.type === 'go-stdlib' || (ecosystem === 'Go' && (pkg.name === 'stdlib' || pkg.name === 'toolchain'))) {
    return [{ ecosystem, name: pkg.name === 'toolchain' ? 'toolchain' : 'stdlib', version: normalizeGoStdlibVersion(pkg.version), via: 'binary' }];
  }
  return [{ ecosystem, name: pkg.name, version: pkg.version, via: 'binary' }];
}

/** The first (preferred) lookup for a package; see queriesFor. */
export function queryFor(pkg: Package, os: OSInfo | undefined): MatchQuery | undefined {
  return queriesFor(pkg, os)[0];
}
