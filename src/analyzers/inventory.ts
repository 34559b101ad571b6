/**
 * Merges every analyzer's output into the image inventory: picks the OS, stamps OS packages with
 * the OS's OSV ecosystem, fills missing purls, merges duplicates, and drops language packages whose
 * files belong to an OS package (Debian's python3-requests is reported once, as the deb).
 */
import type { AnalyzerOutput } from './types.ts';
import type { Inventory, Location, OSFamily, OSInfo, Package, PackageType } from '../model/inventory.ts';
import { packageUrl } from './purl.ts';

const OS_TYPES: ReadonlySet<PackageType> = new Set(['deb', 'apk', 'rpm']);

/** Bare OSV ecosystem name per family, used when the release is unknown. */
const FAMILY_ECOSYSTEM: Partial<Record<OSFamily, string>> = {
  debian: 'Debian', distroless: 'Debian', ubuntu: 'Ubuntu', alpine: 'Alpine', wolfi: 'Wolfi', chainguard: 'Chainguard',
  redhat: 'Red Hat', centos: 'CentOS', rocky: 'Rocky Linux', alma: 'AlmaLinux', fedora: 'Fedora', amazon: 'Amazon Linux',
  oracle: 'Oracle Linux', opensuse: 'openSUSE', sles: 'SUSE', mariner: 'Mariner', azurelinux: 'Azure Linux', photon: 'Photon OS',
};

const LANGUAGE_ECOSYSTEM: Partial<Record<PackageType, string>> = {
  npm: 'npm', python: 'PyPI', 'go-module': 'Go', 'go-stdlib': 'Go', maven: 'Maven', gem: 'RubyGems',
  cargo: 'crates.io', composer: 'Packagist', nuget: 'NuGet',
};

/** Stable prefix of the warning that counts language packages folded into OS packages. */
export const OS_OWNED_NOTE_PREFIX = 'language packages installed by the OS package manager';

export function isOsPackage(p: Package): boolean {
  return OS_TYPES.has(p.type);
}

function pickOs(outputs: AnalyzerOutput[]): OSInfo | undefined {
  const found = outputs.map((o) => o.os).filter((o): o is OSInfo => o !== undefined);
  return found.find((o) => o.ecosystem) ?? found[0];
}

function normalise(p: string): string {
  // Fast path: analyzers already emit clean relative paths; this runs once per owned file.
  if (p.charCodeAt(0) !== 0x2f && p.charCodeAt(p.length - 1) !== 0x2f) return p;
  return p.replace(/^\/+/, '').replace(/\/+$/, '');
}

function identity(p: Package): string {
  return JSON.stringify([p.type, p.ecosystem, p.name, p.version, p.arch ?? '', p.epoch ?? null, p.source?.name ?? '', p.source?.version ?? '', p.purl]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which OS package owns `path`: the file itself, or (for Python metadata) its `*.dist-info` /
 * `*.egg-info` directory, since some distributions list only the directory.
 */
function ownerOf(path: string, owners: Map<string, string>): string | undefined {
  const direct = owners.get(path);
  if (direct) return direct;
  const slash = path.lastIndexOf('/');
  if (slash > 0) {
    const dir = path.slice(0, slash);
    if (/\.(dist-info|egg-info)$/.test(dir)) return owners.get(dir);
  }
  return undefined;
}

export function buildInventory(outputs: Iterable<AnalyzerOutput>): Inventory {
  const all = [...outputs];
  const os = pickOs(all);
  const warnings: string[] = [];
  for (const o of all) if (o.warnings) warnings.push(...o.warnings);

  const osEcosystem = os?.ecosystem ?? (os ? FAMILY_ECOSYSTEM[os.family] ?? '' : '');
  let warnedNoOs = false;

  // 1. Normalise each package: ecosystem, purl, paths.
  const normalised: Package[] = [];
  for (const o of all) {
    for (const src of o.packages ?? []) {
      const p: Package = { ...src, locations: src.locations.map((l) => ({ layer: l.layer, path: normalise(l.path) })) };
      if (isOsPackage(p)) {
        if (!p.ecosystem) p.ecosystem = osEcosystem;
        if (!os && !warnedNoOs) {
          warnings.push(`${p.type} packages found but no distribution release file: OS packages have no ecosystem and cannot be matched`);
          warnedNoOs = true;
        }
        if (p.files) p.files = p.files.map(normalise);
      } else if (!p.ecosystem) {
        p.ecosystem = LANGUAGE_ECOSYSTEM[p.type] ?? '';
      }
      if (!p.purl) p.purl = packageUrl(p, isOsPackage(p) ? os : undefined);
      normalised.push(p);
    }
  }
  if (os && !os.ecosystem && normalised.some(isOsPackage)) {
    warnings.push(`${os.name}: release "${os.version}" has no OSV ecosystem; OS packages use "${osEcosystem}" and may not match advisories`);
  }

  // 2. Merge identical packages found at several places.
  const merged = new Map<string, Package>();
  for (const p of normalised) {
    const key = identity(p);
    const prev = merged.get(key);
    if (!prev) {
      merged.set(key, p);
      continue;
    }
    const seen = new Set(prev.locations.map((l) => `${l.layer}\0${l.path}`));
    for (const l of p.locations) {
      const k = `${l.layer}\0${l.path}`;
      if (!seen.has(k)) { prev.locations.push(l); seen.add(k); }
    }
  }

  // 3. Fold language packages into the OS packages that installed their files.
  const owners = new Map<string, string>();
  for (const p of merged.values()) {
    if (!isOsPackage(p) || !p.files) continue;
    for (const f of p.files) if (!owners.has(f)) owners.set(f, p.name);
  }
  const packages: Package[] = [];
  const folded: string[] = [];
  for (const p of merged.values()) {
    if (isOsPackage(p) || owners.size === 0) {
      packages.push(p);
      continue;
    }
    const kept: Location[] = [];
    let owner: string | undefined;
    for (const l of p.locations) {
      const o = ownerOf(l.path, owners);
      if (o) owner ??= o;
      else kept.push(l);
    }
    if (kept.length === 0 && owner) {
      folded.push(`${p.name} ${p.version} (${owner})`);
      continue;
    }
    packages.push(kept.length === p.locations.length ? p : { ...p, locations: kept });
  }
  if (folded.length > 0) {
    const shown = folded.slice(0, 10).join(', ');
    warnings.push(`${OS_OWNED_NOTE_PREFIX}: ${folded.length} reported as part of their OS package: ${shown}${folded.length > 10 ? ', …' : ''}`);
  }

  // 4. Deterministic order: ecosystem, name, version, first path.
  packages.sort((a, b) =>
    compare(a.ecosystem, b.ecosystem) || compare(a.name, b.name) || compare(a.version, b.version)
    || compare(a.locations[0]?.path ?? '', b.locations[0]?.path ?? '') || compare(a.arch ?? '', b.arch ?? ''));

  const inv: Inventory = { packages, warnings };
  if (os) inv.os = os;
  return inv;
}
