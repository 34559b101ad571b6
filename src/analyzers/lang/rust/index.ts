/**
 * Rust inventory: Cargo.lock in source trees and cargo-auditable data in executables.
 */
import { PackageURL } from 'packageurl-js';
import type { Analyzer, Fragment } from '../../types.ts';
import type { Package } from '../../../model/inventory.ts';
import { executableImages, isRegularContent, looksLikeExecutable, tryParseExecutable } from '../../binary/exe.ts';
import { parseCargoLock, parseCargoManifestDeps, type CargoManifestDeps } from './cargo-lock.ts';
import { readAuditableData } from './auditable.ts';

export { parseCargoLock, parseCargoManifestDeps } from './cargo-lock.ts';
export { readAuditableData } from './auditable.ts';

type PackageDraft = Omit<Package, 'locations'>;

export function cargoPurl(name: string, version: string): string {
  try {
    return new PackageURL('cargo', undefined, name, version || undefined, undefined, undefined).toString();
  } catch {
    return '';
  }
}

function crate(name: string, version: string, metadata: Record<string, unknown>): PackageDraft {
  const p: PackageDraft = { name, version, ecosystem: 'crates.io', type: 'cargo', purl: cargoPurl(name, version) };
  if (Object.keys(metadata).length > 0) p.metadata = metadata;
  return p;
}

function withLocations(fragments: Fragment<PackageDraft[]>[]): Package[] {
  return fragments.flatMap((f) => f.value.map((p) => ({ ...p, locations: [{ layer: f.layerDigest, path: f.path }] })));
}

const CRATES_IO_SOURCES = new Set([
  'registry+https://github.com/rust-lang/crates.io-index',
  'sparse+https://index.crates.io/',
]);

interface CargoFragment {
  kind: 'lock' | 'manifest';
  packages: PackageDraft[];
  /** Lock: `dependencies` strings per package index. */
  dependencies: string[][];
  manifest?: CargoManifestDeps;
}

/**
 * Resolves a Cargo.lock dependency reference (`name`, `name version`, `name version (source)`)
 * to a package index: the bare name is used when unique, as Cargo itself writes it.
 */
function resolveLockDependency(ref: string, packages: PackageDraft[]): number | undefined {
  const [name, version] = ref.split(' ');
  const candidates = packages.map((p, i) => [p, i] as const).filter(([p]) => p.name === name && (version === undefined || p.version === version));
  return candidates.length >= 1 ? candidates[0]?.[1] : undefined;
}

/**
 * With Cargo.toml next to Cargo.lock, packages reachable only through dev-dependencies are
 * marked `dev` and the rest `indirect` unless the root names them (what `cargo tree -e normal,build` shows).
 */
function classify(lock: CargoFragment, manifest: CargoManifestDeps): PackageDraft[] {
  const pkgs = lock.packages.map((p) => ({ ...p }));
  const rootIndex = pkgs.findIndex((p) => p.name === manifest.name && p.metadata?.local === true);
  if (rootIndex < 0) return pkgs;
  const reach = (start: number[]): Set<number> => {
    const seen = new Set<number>(start);
    const queue = [...start];
    while (queue.length > 0) {
      const i = queue.pop() as number;
      for (const ref of lock.dependencies[i] ?? []) {
        const j = resolveLockDependency(ref, pkgs);
        if (j !== undefined && !seen.has(j)) { seen.add(j); queue.push(j); }
      }
    }
    return seen;
  };
  const rootRefs = lock.dependencies[rootIndex] ?? [];
  const resolveNames = (names: Set<string>): number[] => rootRefs
    .filter((r) => names.has(r.split(' ')[0] as string))
    .map((r) => resolveLockDependency(r, pkgs))
    .filter((i): i is number => i !== undefined);
  const normalDirect = resolveNames(manifest.normal);
  const normal = reach(normalDirect);
  const direct = new Set(normalDirect);
  pkgs.forEach((p, i) => {
    if (i === rootIndex) return;
    if (!normal.has(i)) p.dev = true;
    else p.indirect = !direct.has(i);
  });
  return pkgs;
}

export const cargoLockAnalyzer: Analyzer<CargoFragment> = {
  name: 'cargo-lock',
  version: 1,
  kind: 'language',
  required(filePath, meta) {
    if (!isRegularContent(meta)) return false;
    // Sources of downloaded crates (cargo's registry and git checkouts, vendored trees) carry their
    // own lockfiles, which say nothing about what was built here.
    if (/(^|\/)\.cargo\/(registry|git)\//.test(filePath) || /(^|\/)vendor\//.test(filePath)) return false;
    const base = filePath.slice(filePath.lastIndexOf('/') + 1);
    return base === 'Cargo.lock' || base === 'Cargo.toml';
  },
  analyze({ path: filePath, content }) {
    if (filePath.endsWith('Cargo.toml')) {
      const manifest = parseCargoManifestDeps(content.toString('utf8'));
      return manifest ? { kind: 'manifest', packages: [], dependencies: [], manifest } : undefined;
    }
    const lock = parseCargoLock(content.toString('utf8'), filePath);
    return {
      kind: 'lock',
      dependencies: lock.packages.map((p) => p.dependencies),
      packages: lock.packages.map((p) => {
        const meta: Record<string, unknown> = {};
        if (p.source === '') meta.local = true;
        else if (!CRATES_IO_SOURCES.has(p.source)) meta.source = p.source;
        if (p.checksum) meta.checksum = p.checksum;
        return crate(p.name, p.version, meta);
      }),
    };
  },
  finalize(fragments) {
    const manifests = new Map<string, CargoManifestDeps>();
    for (const f of fragments) {
      if (f.value.manifest) manifests.set(f.path.slice(0, f.path.lastIndexOf('/') + 1), f.value.manifest);
    }
    const packages: Package[] = [];
    for (const f of fragments) {
      if (f.value.kind !== 'lock') continue;
      const manifest = manifests.get(f.path.slice(0, f.path.lastIndexOf('/') + 1));
      const value = manifest ? classify(f.value, manifest) : f.value.packages;
      packages.push(...withLocations([{ ...f, value }]));
    }
    return { packages };
  },
};

export const rustBinaryAnalyzer: Analyzer<PackageDraft[]> = {
  name: 'rust-binary',
  version: 1,
  kind: 'language',
  maxFileSize: 256 * 1024 * 1024,
  required(filePath, meta) {
    return isRegularContent(meta) && meta.size >= 64 && looksLikeExecutable(filePath, meta.mode);
  },
  analyze({ path: filePath, content }) {
    let pkgs;
    for (const image of executableImages(content)) {
      const exe = tryParseExecutable(image);
      if (!exe) continue;
      try {
        pkgs = readAuditableData(image, exe);
      } catch (err) {
        throw new Error(`${filePath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (pkgs) break;
    }
    if (!pkgs) return undefined;
    const root = pkgs.find((p) => p.root);
    const rootId = root ? `${root.name}@${root.version}` : undefined;
    // The root is the binary's own crate, noted on each package. Build dependencies (build
    // scripts, proc macros) ran on the build machine and left no code in the binary, so, as in
    // Trivy, they are not reported. Crates from git, paths or other registries have no
    // crates.io advisories to match.
    return pkgs
      .filter((p) => !p.root && p.kind === 'runtime' && p.source === 'crates.io')
      .map((p) => crate(p.name, p.version, rootId ? { binaryRoot: rootId } : {}));
  },
  finalize(fragments) {
    return { packages: withLocations(fragments) };
  },
};
