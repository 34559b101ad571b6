/**
 * pnpm-lock.yaml, lockfile formats 5.x (`/name/1.0.0_peer@2`), 6.x (`/name@1.0.0(peer@2)`) and
 * 9.x (`name@1.0.0(peer@2)` with a separate `snapshots` graph and no `dev` flags). Peer-dependency
 * suffixes are not part of the version. Local packages (`link:`, `file:`, workspace importers)
 * are not reported. Direct and dev are taken from the importers (and from `dev:` where 5/6 have it).
 */
import { parse as parseYaml } from 'yaml';
import { entries, isObject, obj, str } from '../common.ts';
import type { JsonObject } from '../common.ts';
import type { NodePackage } from './types.ts';

export function parsePnpmLock(content: Buffer, path: string): NodePackage[] {
  let doc: unknown;
  try {
    doc = parseYaml(content.toString('utf8'), { maxAliasCount: 100, uniqueKeys: false, logLevel: 'error' });
  } catch (err) {
    throw new Error(`${path}: invalid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  if (doc === null || doc === undefined) return [];
  if (!isObject(doc)) throw new Error(`${path}: expected a YAML mapping at the top level`);
  const lockVersion = parseFloat(String(doc.lockfileVersion ?? '5'));
  if (!Number.isFinite(lockVersion)) throw new Error(`${path}: unreadable lockfileVersion`);
  const major = Math.floor(lockVersion);

  const importers = importerDeps(doc);
  const direct = new Set<string>();
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const imp of importers) {
    for (const [name, ref, isDev] of imp) {
      const id = refToId(name, ref, major);
      if (!id) continue;
      direct.add(id);
      (isDev ? devRoots : prodRoots).push(id);
    }
  }

  const packages = obj(doc.packages) ?? {};
  const snapshots = obj(doc.snapshots);
  const graph = new Map<string, string[]>();
  const out = new Map<string, NodePackage>();
  const keys = snapshots ? Object.keys(snapshots) : Object.keys(packages);
  for (const key of keys) {
    const snap = snapshots ? obj(snapshots[key]) ?? {} : obj(packages[key]) ?? {};
    const base = snapshots ? obj(packages[stripPeerSuffix(key, major)]) ?? {} : snap;
    const parsed = parseKey(key, major);
    const name = str(base.name) ?? str(snap.name) ?? parsed?.name;
    const version = versionString(base.version) ?? versionString(snap.version) ?? parsed?.version;
    if (!name || !version || isLocalRef(version)) continue;
    const id = idFor(key, major);
    const deps: string[] = [];
    for (const field of ['dependencies', 'optionalDependencies']) {
      for (const [dep, ref] of entries(snap[field])) {
        const depId = refToId(dep, String(ref), major);
        if (depId) deps.push(depId);
      }
    }
    graph.set(id, deps);
    const pkg: NodePackage = { name, version: stripPeerSuffix(version, major) };
    if (typeof snap.dev === 'boolean') pkg.dev = snap.dev;
    const resolution = obj(base.resolution);
    const tarball = resolution ? str(resolution.tarball) : undefined;
    if (tarball) pkg.metadata = { resolved: tarball };
    out.set(id, pkg);
  }

  const hasImporters = importers.some((imp) => imp.length > 0);
  if (hasImporters) {
    const prod = reach(prodRoots, graph);
    const all = reach([...prodRoots, ...devRoots], graph);
    for (const [id, pkg] of out) {
      pkg.indirect = !direct.has(id);
      if (pkg.dev === undefined) pkg.dev = all.has(id) && !prod.has(id);
    }
  }
  return [...out.values()];
}

type ImporterDeps = [name: string, ref: string, dev: boolean][];

/** The root project (5.x/6.x top level) and every workspace importer (`importers:`). */
function importerDeps(doc: JsonObject): ImporterDeps[] {
  const blocks: JsonObject[] = [];
  const importers = obj(doc.importers);
  if (importers) for (const [, imp] of entries(importers)) { if (isObject(imp)) blocks.push(imp); }
  else blocks.push(doc);
  return blocks.map((block) => {
    const deps: ImporterDeps = [];
    for (const [field, dev] of [['dependencies', false], ['optionalDependencies', false], ['devDependencies', true]] as const) {
      for (const [name, spec] of entries(block[field])) {
        // 6.x/9.x: `{ specifier, version }`; 5.x: the version string itself.
        const ref = isObject(spec) ? str(spec.version) : typeof spec === 'string' || typeof spec === 'number' ? String(spec) : undefined;
        if (ref !== undefined) deps.push([name, ref, dev]);
      }
    }
    return deps;
  });
}

function versionString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function isLocalRef(ref: string): boolean {
  return ref.startsWith('link:') || ref.startsWith('file:') || ref.startsWith('workspace:');
}

/** The lookup id of a package entry: its key without the leading slash of 5.x/6.x. */
function idFor(key: string, _major: number): string {
  return key.startsWith('/') ? key.slice(1) : key;
}

/** Turns an importer/dependency reference into a package id comparable with `idFor`. */
function refToId(name: string, ref: string, major: number): string | undefined {
  if (isLocalRef(ref)) return undefined;
  // A reference that is a path (`/a/1.0.0`, `github.com/x/y/sha`) or an alias (`npm:x@1` in 9.x → `x@1`).
  if (ref.startsWith('/')) return ref.slice(1);
  if (ref.includes('/') && !ref.startsWith('@') && !/^\d/.test(ref)) return ref;
  if (major >= 6) {
    if (/^@?[^@]+@/.test(ref) && !/^\d/.test(ref)) return ref; // aliased `other@1.0.0`
    return `${name}@${ref}`;
  }
  return `${name}/${ref}`;
}

function stripPeerSuffix(s: string, major: number): string {
  if (major >= 6) {
    const paren = s.indexOf('(');
    return paren < 0 ? s : s.slice(0, paren);
  }
  const underscore = s.indexOf('_');
  return underscore < 0 ? s : s.slice(0, underscore);
}

/** `/@s/a/1.0.0_peer@1` (5.x), `/@s/a@1.0.0(peer@1)` (6.x), `@s/a@1.0.0(peer@1)` (9.x). */
export function parseKey(key: string, major: number): { name: string; version: string } | undefined {
  const k = key.startsWith('/') ? key.slice(1) : key;
  if (major >= 6) {
    const bare = stripPeerSuffix(k, major);
    const at = bare.indexOf('@', bare.startsWith('@') ? 1 : 0);
    if (at <= 0) return undefined;
    return { name: bare.slice(0, at), version: bare.slice(at + 1) };
  }
  // 5.x: the name is one path segment (two when scoped); the peer suffix only follows the version.
  const parts = k.split('/');
  const nameParts = k.startsWith('@') ? 2 : 1;
  if (parts.length < nameParts + 1) return undefined;
  const version = stripPeerSuffix(parts.slice(nameParts).join('/'), major);
  if (!version) return undefined;
  return { name: parts.slice(0, nameParts).join('/'), version };
}

function reach(roots: string[], graph: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop();
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    for (const d of graph.get(id) ?? []) if (!seen.has(d)) stack.push(d);
  }
  return seen;
}
