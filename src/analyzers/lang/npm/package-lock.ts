/**
 * package-lock.json (and npm's hidden `node_modules/.package-lock.json`), lockfileVersion 1–3.
 *
 * v2/v3 carry a `packages` map keyed by install path (`node_modules/a/node_modules/b`); that map
 * is authoritative and v1's `dependencies` tree is used only when it is absent. Semantics follow
 * npm's documentation and Trivy's parser: every entry under a `node_modules` path is a package,
 * workspace links (`link: true`) are replaced by the workspace they point at (reported as direct,
 * possibly without a version), `dev` comes from the entry, and a package is direct when the root
 * names it in any of its dependency maps.
 */
import { entries, isObject, obj, parseJsonObject, str } from '../common.ts';
import type { JsonObject } from '../common.ts';
import { licensesOf } from './package-json.ts';
import type { InstallPathFlags, NodePackage } from './types.ts';

export interface PackageLock {
  lockfileVersion: number;
  packages: NodePackage[];
  /** Flags per install path, used to mark installed node_modules packages as dev. */
  installPaths: Map<string, InstallPathFlags>;
}

const MAX_V1_DEPTH = 1000;

export function parsePackageLock(content: Buffer, path: string): PackageLock {
  const lock = parseJsonObject(content, path);
  const version = typeof lock.lockfileVersion === 'number' ? lock.lockfileVersion : 1;
  const packagesMap = obj(lock.packages);
  if (packagesMap) return { lockfileVersion: version, ...parseV2(packagesMap) };
  if (lock.dependencies !== undefined && !isObject(lock.dependencies)) {
    throw new Error(`${path}: "dependencies" must be an object`);
  }
  const packages: NodePackage[] = [];
  const installPaths = new Map<string, InstallPathFlags>();
  parseV1(obj(lock.dependencies) ?? {}, 'node_modules', packages, installPaths, 0, path);
  return { lockfileVersion: version, packages: dedupe(packages), installPaths };
}

/** v1 nests `dependencies` the way node_modules nests, so install paths follow from the tree. */
function parseV1(
  deps: JsonObject, parentDir: string, out: NodePackage[], installPaths: Map<string, InstallPathFlags>, depth: number, path: string,
): void {
  if (depth > MAX_V1_DEPTH) throw new Error(`${path}: dependency tree nested deeper than ${MAX_V1_DEPTH} levels`);
  for (const [key, raw] of Object.entries(deps)) {
    const dep = obj(raw);
    if (!dep) continue;
    const installPath = `${parentDir}/${key}`;
    installPaths.set(installPath, { dev: dep.dev === true, optional: dep.optional === true });
    const resolved = resolveAlias(key, str(dep.version) ?? '');
    // v1 records local `file:` dependencies with their path as the version; they are the user's
    // own code, not a registry package.
    if (resolved.version && !resolved.version.startsWith('file:')) {
      out.push({ name: resolved.name, version: resolved.version, dev: dep.dev === true });
    }
    const nested = obj(dep.dependencies);
    if (nested) parseV1(nested, `${installPath}/node_modules`, out, installPaths, depth + 1, path);
  }
}

/** `"alias": "npm:real-name@1.2.3"` installs `real-name`; advisories are about the real name. */
function resolveAlias(name: string, version: string): { name: string; version: string } {
  if (!version.startsWith('npm:')) return { name, version };
  const spec = version.slice(4);
  const at = spec.lastIndexOf('@');
  if (at <= 0) return { name, version };
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

function parseV2(packagesMap: JsonObject): Omit<PackageLock, 'lockfileVersion'> {
  const entriesByPath = new Map<string, JsonObject>();
  for (const [key, raw] of Object.entries(packagesMap)) {
    const entry = obj(raw);
    if (entry) entriesByPath.set(key, entry);
  }
  const root = entriesByPath.get('') ?? {};
  const workspaceLinks = resolveLinks(entriesByPath);

  const direct = new Set<string>();
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies']) {
    for (const [name] of entries(root[field])) direct.add(`node_modules/${name}`);
  }
  for (const linkPath of workspaceLinks) direct.add(linkPath);

  const installPaths = new Map<string, InstallPathFlags>();
  const packages: NodePackage[] = [];
  for (const [installPath, entry] of entriesByPath) {
    if (!installPath.startsWith('node_modules/')) continue;
    installPaths.set(installPath, { dev: entry.dev === true, optional: entry.optional === true });
    const name = str(entry.name) || nameFromInstallPath(installPath);
    if (!name) continue;
    const version = str(entry.version) ?? '';
    const licenses = licensesOf(entry);
    const metadata: Record<string, unknown> = {};
    if (workspaceLinks.has(installPath)) metadata.workspace = true;
    const resolved = str(entry.resolved);
    if (resolved) metadata.resolved = resolved;
    packages.push({
      name,
      version,
      dev: entry.dev === true,
      indirect: !direct.has(installPath),
      ...(licenses.length ? { licenses } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    });
  }
  return { packages: dedupe(packages), installPaths };
}

/**
 * Replaces each `link: true` entry by the entry it points at (a workspace folder) and moves that
 * folder's own `node_modules` under the link's path, so that workspace dependencies are seen as
 * installed packages. Returns the install paths of links that point outside node_modules.
 */
function resolveLinks(entriesByPath: Map<string, JsonObject>): Set<string> {
  const workspaceLinks = new Set<string>();
  const links = [...entriesByPath].filter(([, e]) => e.link === true);
  for (const [linkPath, link] of links) {
    const target = str(link.resolved);
    const resolved = target === undefined ? undefined : entriesByPath.get(target);
    if (target === undefined || resolved === undefined) {
      entriesByPath.delete(linkPath);
      continue;
    }
    entriesByPath.set(linkPath, { ...resolved, name: str(resolved.name) || nameFromInstallPath(linkPath), resolved: target });
    if (!target.startsWith('node_modules/')) workspaceLinks.add(linkPath);
    const prefix = `${target}/node_modules/`;
    for (const [p, e] of [...entriesByPath]) {
      if (p.startsWith(prefix)) {
        entriesByPath.delete(p);
        entriesByPath.set(`${linkPath}/node_modules/${p.slice(prefix.length)}`, e);
      }
    }
  }
  return workspaceLinks;
}

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function nameFromInstallPath(installPath: string): string {
  const i = installPath.lastIndexOf('node_modules/');
  return i < 0 ? '' : installPath.slice(i + 'node_modules/'.length);
}

/** One record per name@version: dev only if every copy is dev, direct if any copy is direct. */
function dedupe(packages: NodePackage[]): NodePackage[] {
  const byId = new Map<string, NodePackage>();
  for (const p of packages) {
    const id = `${p.name}@${p.version}`;
    const seen = byId.get(id);
    if (!seen) {
      byId.set(id, { ...p });
      continue;
    }
    seen.dev = Boolean(seen.dev) && Boolean(p.dev);
    if (seen.indirect !== undefined && p.indirect !== undefined) seen.indirect = seen.indirect && p.indirect;
    if (!seen.licenses && p.licenses) seen.licenses = p.licenses;
  }
  return [...byId.values()];
}
