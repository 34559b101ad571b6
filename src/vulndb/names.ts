/**
 * Lookup keys for (ecosystem, package name), shared by the index writer and the matcher so both
 * sides normalise identically.
 */

/**
 * OSV spells some OS ecosystems with suffixes an image never shows: Ubuntu's `Ubuntu:22.04:LTS`
 * is the same release as an image's `Ubuntu:22.04`. Ubuntu Pro/ESM (`Ubuntu:Pro:16.04:LTS`) stays
 * distinct on purpose: its fixes are not available to an image without a subscription.
 */
export function normalizeEcosystem(ecosystem: string): string {
  const e = ecosystem.trim();
  const ubuntu = /^Ubuntu:(Pro:(?:FIPS[^:]*:)?)?(\d+\.\d+)(?::LTS)?$/i.exec(e);
  if (ubuntu) return `Ubuntu:${ubuntu[1] ? 'Pro:' : ''}${ubuntu[2]}`;
  const alpine = /^Alpine:v?(\d+\.\d+)(?:\.\d+)?$/i.exec(e);
  if (alpine) return `Alpine:v${alpine[1]}`;
  const debian = /^Debian:(\d+)(?:\.\d+)?$/i.exec(e);
  if (debian) return `Debian:${debian[1]}`;
  // Red Hat's OSV ecosystems are per product and repository (`Red Hat:enterprise_linux:9::baseos`);
  // an image only knows its major release, which the inventory reports as `Red Hat:9`. EUS/AUS/E4S
  // streams stay distinct: their fixes reach subscribers of those streams only.
  const rhel = /^Red Hat:enterprise_linux:(\d+)(?:\.\d+)?(?::.*)?$/.exec(e);
  if (rhel) return `Red Hat:${rhel[1]}`;
  return e;
}

/** The ecosystem family without the release (`Debian:12` → `Debian`). */
export function ecosystemBase(ecosystem: string): string {
  const i = ecosystem.indexOf(':');
  return i < 0 ? ecosystem : ecosystem.slice(0, i);
}

const OS_ECOSYSTEMS = new Set([
  'Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard', 'Red Hat', 'Rocky Linux', 'AlmaLinux', 'openSUSE', 'SUSE',
  'Photon OS', 'Mageia', 'Azure Linux', 'Mariner', 'Amazon Linux', 'Oracle Linux', 'CentOS', 'Fedora', 'Root',
]);

/** True for OS distribution ecosystems, where advisories are keyed by source package and release. */
export function isOsEcosystem(ecosystem: string): boolean {
  return OS_ECOSYSTEMS.has(ecosystemBase(ecosystem));
}

/**
 * Package name as stored and looked up: PEP 503 for PyPI; lower case where the registry is
 * case-insensitive (NuGet, Packagist, crates.io, Hex, Pub, OS packages); verbatim otherwise (npm, Go module
 * paths, Maven coordinates, RubyGems).
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  const base = ecosystemBase(ecosystem);
  switch (base) {
    case 'PyPI':
      return name.trim().toLowerCase().replace(/[-_.]+/g, '-');
    case 'NuGet':
    case 'Packagist':
    case 'crates.io':
    case 'Hex':
    case 'Pub':
      return name.trim().toLowerCase();
    default:
      return isOsEcosystem(ecosystem) ? name.trim().toLowerCase() : name.trim();
  }
}
