/**
 * Cargo.lock (format versions 1 to 4; pure). Every `[[package]]` is reported, including the
 * workspace's own crates (no `source`), as Trivy's parser does; those are marked `local`.
 * v1 files keep checksums in a `[metadata]` table and spell dependencies `name version (source)`,
 * which does not change the package list.
 */
import { parse as parseToml } from 'smol-toml';

export interface CargoLockPackage {
  name: string;
  version: string;
  /** `registry+https://…`, `sparse+https://…`, `git+https://…#rev`; '' for path/workspace crates. */
  source: string;
  checksum?: string;
  dependencies: string[];
}

export interface CargoLock {
  /** The `version` key (3, 4); 1 or 2 when absent (those formats did not write it). */
  formatVersion?: number;
  packages: CargoLockPackage[];
}

export function parseCargoLock(text: string, what = 'Cargo.lock'): CargoLock {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${what}: invalid TOML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  const raw = doc.package;
  if (raw !== undefined && !Array.isArray(raw)) throw new Error(`${what}: "package" must be an array of tables`);
  const seen = new Set<string>();
  const packages: CargoLockPackage[] = [];
  for (const entry of (raw ?? []) as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== 'string' || typeof e.version !== 'string') continue;
    const source = typeof e.source === 'string' ? e.source : '';
    const key = `${e.name}@${e.version}@${source}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pkg: CargoLockPackage = {
      name: e.name,
      version: e.version,
      source,
      dependencies: Array.isArray(e.dependencies) ? e.dependencies.filter((d): d is string => typeof d === 'string') : [],
    };
    if (typeof e.checksum === 'string') pkg.checksum = e.checksum;
    packages.push(pkg);
  }
  const lock: CargoLock = { packages };
  if (typeof doc.version === 'number') lock.formatVersion = doc.version;
  return lock;
}

/** The dependency names a Cargo.toml declares, split into normal/build versus dev. */
export interface CargoManifestDeps {
  name: string;
  normal: Set<string>;
  dev: Set<string>;
}

/**
 * Reads a package manifest's dependency tables (including `[target.'cfg(…)'.*]` ones); names are
 * the crate names Cargo.lock uses (`package = "…"` renames applied). Undefined for workspace
 * manifests and invalid TOML, which leave the lock unclassified.
 */
export function parseCargoManifestDeps(text: string): CargoManifestDeps | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const pkg = doc.package as Record<string, unknown> | undefined;
  if (!pkg || typeof pkg.name !== 'string') return undefined;
  // In a workspace the lock also serves the members, whose dependencies the root manifest does not
  // list; classifying from the root alone would call their runtime crates dev-only.
  if (doc.workspace !== undefined) return undefined;
  const normal = new Set<string>();
  const dev = new Set<string>();
  const collect = (table: unknown, into: Set<string>): void => {
    if (typeof table !== 'object' || table === null) return;
    for (const [key, spec] of Object.entries(table)) {
      const renamed = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>).package : undefined;
      into.add(typeof renamed === 'string' ? renamed : key);
    }
  };
  const fromScope = (scope: Record<string, unknown>): void => {
    collect(scope.dependencies, normal);
    collect(scope['build-dependencies'], normal);
    collect(scope['build_dependencies'], normal);
    collect(scope['dev-dependencies'], dev);
    collect(scope['dev_dependencies'], dev);
  };
  fromScope(doc);
  const targets = doc.target;
  if (typeof targets === 'object' && targets !== null) {
    for (const t of Object.values(targets)) if (typeof t === 'object' && t !== null) fromScope(t as Record<string, unknown>);
  }
  return { name: pkg.name, normal, dev };
}
