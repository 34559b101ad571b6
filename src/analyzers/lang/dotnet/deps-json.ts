/**
 * .NET `*.deps.json` (the dependency manifest the host reads at startup) and NuGet
 * `packages.lock.json`.
 *
 * deps.json: `libraries` lists everything the app was built against, keyed `Name/Version` with a
 * `type`. `package` and `runtimepack` (self-contained runtime, named without the `runtimepack.`
 * prefix) are third-party code; `project` entries are the app's own projects, reported as the
 * root (the one project nothing depends on) and workspace members, as Trivy does. A package whose
 * entry in the runtime target has no runtime, native or runtimeTargets assets ships no code
 * (reference/metapackages such as NETStandard.Library) and is left out. Without a usable target
 * graph every package is kept and direct/indirect is unknown.
 */
import { entries, isObject, obj, parseJsonObject, str } from '../common.ts';
import type { JsonObject } from '../common.ts';

export interface DotnetPackage {
  name: string;
  version: string;
  /** Set when the dependency graph tells: false for dependencies of the root or workspace projects. */
  indirect?: boolean;
  relationship?: 'root' | 'workspace';
  dev?: boolean;
}

const RUNTIMEPACK_PREFIX = 'runtimepack.';

function splitKey(key: string): { name: string; version: string } | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { name: key.slice(0, slash), version: key.slice(slash + 1) };
}

function hasAssets(entry: JsonObject): boolean {
  return ['runtime', 'native', 'runtimeTargets'].some((k) => isObject(entry[k]) && Object.keys(entry[k]).length > 0);
}

export function parseDepsJson(content: Buffer, path: string): DotnetPackage[] {
  const doc = parseJsonObject(content, path);
  const libraries = obj(doc.libraries);
  if (!libraries) throw new Error(`${path}: no "libraries" object; not a .NET deps.json`);
  const targetName = str(obj(doc.runtimeTarget)?.name);
  const target = targetName ? obj(obj(doc.targets)?.[targetName]) : undefined;

  interface Lib { key: string; name: string; version: string; type: string; targetEntry?: JsonObject }
  const libs: Lib[] = [];
  for (const [key, raw] of entries(libraries)) {
    const lib = obj(raw);
    const id = splitKey(key);
    if (!lib || !id) continue;
    const type = str(lib.type) ?? '';
    if (type !== 'package' && type !== 'project' && type !== 'runtimepack') continue;
    const targetEntry = target ? obj(target[key]) : undefined;
    if (type === 'package' && targetEntry && !hasAssets(targetEntry)) continue;
    libs.push({ key, ...id, type, ...(targetEntry ? { targetEntry } : {}) });
  }

  // Dependency names as the target graph writes them (runtime packs keep their prefix there).
  const dependedOn = new Set<string>();
  if (target) {
    for (const [, raw] of entries(target)) {
      for (const [dep] of entries(obj(raw)?.dependencies)) dependedOn.add(dep);
    }
  }
  const projects = libs.filter((l) => l.type === 'project');
  const rootCandidates = target ? projects.filter((p) => !dependedOn.has(p.name)) : projects;
  const root = rootCandidates.length === 1 ? rootCandidates[0] : undefined;

  const directNames = new Set<string>();
  if (root && target) {
    for (const p of projects) {
      for (const [dep] of entries(p.targetEntry?.dependencies)) directNames.add(dep);
    }
  }

  return libs.map((l): DotnetPackage => {
    const name = l.type === 'runtimepack' && l.name.startsWith(RUNTIMEPACK_PREFIX) ? l.name.slice(RUNTIMEPACK_PREFIX.length) : l.name;
    const pkg: DotnetPackage = { name, version: l.version };
    if (!root) return pkg;
    if (l.type === 'project') {
      pkg.relationship = l === root ? 'root' : 'workspace';
      return pkg;
    }
    if (target) pkg.indirect = !directNames.has(l.name);
    return pkg;
  });
}

/**
 * packages.lock.json: `dependencies.<framework>.<name>` with `type` Direct, Transitive,
 * CentralTransitive or Project (a project reference, not a package) and the `resolved` version.
 * A package locked for several frameworks is reported once per version.
 */
export function parsePackagesLockJson(content: Buffer, path: string): DotnetPackage[] {
  const doc = parseJsonObject(content, path);
  const frameworks = obj(doc.dependencies);
  if (!frameworks) throw new Error(`${path}: no "dependencies" object; not a NuGet packages.lock.json`);
  const byId = new Map<string, DotnetPackage>();
  for (const [, deps] of entries(frameworks)) {
    for (const [name, raw] of entries(deps)) {
      const dep = obj(raw);
      const type = str(dep?.type);
      const version = str(dep?.resolved);
      if (!dep || !version || type === 'Project') continue;
      const id = `${name}/${version}`;
      const indirect = type !== 'Direct';
      const seen = byId.get(id);
      if (seen) seen.indirect = Boolean(seen.indirect) && indirect;
      else byId.set(id, { name, version, indirect });
    }
  }
  return [...byId.values()];
}
