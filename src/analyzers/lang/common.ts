/**
 * Small helpers shared by the text-format language analyzers (npm, Python, Ruby, PHP, .NET):
 * strict JSON decoding with messages that say what was wrong, purl construction, and merging of
 * the same package found at several paths.
 */
import { PackageURL } from 'packageurl-js';
import type { Location, Package, PackageType } from '../../model/inventory.ts';
import type { AnalyzerOutput, Fragment } from '../types.ts';

/** Lockfiles and manifests above this size are skipped by the walker (real ones stay well below). */
export const LOCKFILE_MAX_SIZE = 50 * 1024 * 1024;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Decodes UTF-8 (dropping a BOM) and parses JSON; the error names `what` and the parser's complaint. */
export function parseJson(content: Buffer | string, what: string): JsonValue {
  let text = typeof content === 'string' ? content : content.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new Error(`${what}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export function parseJsonObject(content: Buffer | string, what: string): JsonObject {
  const value = parseJson(content, what);
  if (!isObject(value)) throw new Error(`${what}: expected a JSON object at the top level`);
  return value;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function obj(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

/** Own enumerable entries of a JSON object, safe against `__proto__` keys (JSON.parse makes them own). */
export function entries(value: unknown): [string, JsonValue][] {
  return isObject(value) ? Object.entries(value) : [];
}

export function buildPurl(
  type: string,
  namespace: string | undefined,
  name: string,
  version: string,
  qualifiers?: Record<string, string>,
): string {
  try {
    return new PackageURL(type, namespace || undefined, name, version || undefined, qualifiers, undefined).toString();
  } catch {
    // A name packageurl-js rejects (empty, odd characters) still yields a package; the inventory
    // builder may try again, and the report shows the package without a purl rather than dropping it.
    return '';
  }
}

/**
 * Inside an installed package of some ecosystem: `node_modules/`, Python's `site-packages/` and
 * `dist-packages/`, an installed gem's directory (`…/gems/rbs-2.1.0/`, Bundler's `bundler/gems/…`).
 * Packages ship the lockfiles of their own development (rbs ships a Gemfile.lock, typeprof a
 * package-lock.json), which list what their authors tested with, not anything installed here, so
 * lockfiles there are not read.
 */
export function insideInstalledPackage(path: string): boolean {
  return /(^|\/)(node_modules|site-packages|dist-packages)\//.test(path)
    // `gems/<name>-<version>/` (not the gem home's own `gems/3.1.0/`), or a Bundler git checkout.
    || /(^|\/)gems\/[^/]+-\d[^/]*\//.test(path) || /(^|\/)bundler\/gems\/[^/]+\//.test(path);
}

/** Directory part of an image path (`a/b/c.json` → `a/b`, `c.json` → ``). */
export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

export function location(fragment: Pick<Fragment<unknown>, 'layerDigest' | 'path'>): Location {
  return { layer: fragment.layerDigest, path: fragment.path };
}

/**
 * Merges packages that are the same (same key, by default type + name + version): locations are
 * united, `dev` stays true only if every copy is dev, `indirect` only if every copy is indirect.
 * Order of first appearance is kept so output is deterministic for a given input order.
 */
export function mergePackages(packages: Package[], keyOf: (p: Package) => string = defaultKey): Package[] {
  const byKey = new Map<string, Package>();
  for (const pkg of packages) {
    const key = keyOf(pkg);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...pkg, locations: [...pkg.locations] });
      continue;
    }
    for (const loc of pkg.locations) {
      if (!seen.locations.some((l) => l.layer === loc.layer && l.path === loc.path)) seen.locations.push(loc);
    }
    if (seen.dev !== undefined || pkg.dev !== undefined) seen.dev = Boolean(seen.dev) && Boolean(pkg.dev);
    if (seen.indirect !== undefined && pkg.indirect !== undefined) seen.indirect = seen.indirect && pkg.indirect;
    else if (pkg.indirect === false) seen.indirect = false;
    if (!seen.licenses?.length && pkg.licenses?.length) seen.licenses = pkg.licenses;
  }
  return [...byKey.values()];
}

function defaultKey(p: Package): string {
  return `${p.type}\u0000${p.name}\u0000${p.version}`;
}

/** What a language analyzer's parsers say about one package, before it becomes a Package. */
export interface LanguageRecord {
  name: string;
  version: string;
  licenses?: string[];
  dev?: boolean;
  indirect?: boolean;
  /** The project itself (`root`) or one of its workspace members, when the file says so. */
  relationship?: 'root' | 'workspace';
}

export interface LanguagePackageKind {
  ecosystem: string;
  type: PackageType;
  purl: (name: string, version: string) => string;
  /** When two records are the same package (names that differ only in case or separators). Default: type + name + version. */
  mergeKey?: (p: Package) => string;
}

/**
 * The `finalize` of analyzers whose fragments are plain record lists (Python, Ruby, .NET): one
 * Package per record at its file, then the same package found at several paths merged into one,
 * in a deterministic order.
 */
export function finalizeLanguageRecords(fragments: Fragment<LanguageRecord[]>[], kind: LanguagePackageKind): AnalyzerOutput {
  const packages: Package[] = [];
  for (const f of fragments) {
    for (const r of f.value) {
      const pkg: Package = {
        name: r.name,
        version: r.version,
        ecosystem: kind.ecosystem,
        type: kind.type,
        purl: kind.purl(r.name, r.version),
        locations: [location(f)],
      };
      if (r.licenses?.length) pkg.licenses = r.licenses;
      if (r.dev !== undefined) pkg.dev = r.dev;
      if (r.indirect !== undefined) pkg.indirect = r.indirect;
      if (r.relationship) pkg.metadata = { relationship: r.relationship };
      packages.push(pkg);
    }
  }
  return { packages: sortPackages(mergePackages(packages, kind.mergeKey)) };
}

/** Deterministic order for analyzer output: by name, then version, then first location. */
export function sortPackages(packages: Package[]): Package[] {
  return packages.sort((a, b) =>
    cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.locations[0]?.path ?? '', b.locations[0]?.path ?? ''));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
