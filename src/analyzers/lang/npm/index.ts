/**
 * The npm analyzer: installed packages under node_modules (npm, yarn classic, pnpm's store) and
 * the lockfiles package-lock.json (v1–v3), yarn.lock (classic and berry), pnpm-lock.yaml and bun.lock.
 *
 * When a project directory has installed packages, those are the inventory (they are what runs,
 * and what `npm ls --all` lists) and its lockfiles only contribute `dev` flags; a lockfile whose
 * project has no node_modules (source trees, multi-stage images that copied only the lockfile)
 * is reported on its own, with the lockfile as the location.
 */
import type { Package } from '../../../model/inventory.ts';
import type { FileMeta } from '../../../image/types.ts';
import type { Analyzer, AnalyzerInput, AnalyzerOutput, Fragment } from '../../types.ts';
import { LOCKFILE_MAX_SIZE, baseName, buildPurl, dirOf, entries, insideInstalledPackage, location, mergePackages, obj, parseJsonObject, sortPackages, str } from '../common.ts';
import { classifyInstalledPackageJson, licensesOf, parseInstalledPackageJson } from './package-json.ts';
import type { InstalledPath } from './package-json.ts';
import { parsePackageLock } from './package-lock.ts';
import type { PackageLock } from './package-lock.ts';
import { parsePnpmLock } from './pnpm-lock.ts';
import { parseBunLock } from './bun-lock.ts';
import { classifyYarnEntries, parseYarnLock } from './yarn-lock.ts';
import type { YarnEntry } from './yarn-lock.ts';
import type { NodePackage } from './types.ts';

export type NpmFragment =
  | { kind: 'installed'; where: InstalledPath; pkg: NodePackage }
  | { kind: 'package-lock'; hidden: boolean; lock: PackageLock }
  | { kind: 'yarn-lock'; entries: YarnEntry[] }
  | { kind: 'pnpm-lock'; packages: NodePackage[] }
  | { kind: 'bun-lock'; packages: NodePackage[] }
  | {
    kind: 'manifest';
    dependencies: [string, string][];
    devDependencies: [string, string][];
    /** The manifest as a package (workspace members are listed by npm ls). */
    pkg?: NodePackage;
    /** `workspaces` globs of a workspace root (`packages/*`). */
    workspaces: string[];
  };

function inNodeModules(path: string): boolean {
  return path.startsWith('node_modules/') || path.includes('/node_modules/');
}

export function npmRequired(path: string): boolean {
  const base = baseName(path);
  if (base === 'package.json') return inNodeModules(path) ? classifyInstalledPackageJson(path) !== undefined : true;
  if (base === '.package-lock.json') return dirOf(path) === 'node_modules' || dirOf(path).endsWith('/node_modules');
  if (base === 'package-lock.json' || base === 'yarn.lock' || base === 'pnpm-lock.yaml' || base === 'bun.lock') return !insideInstalledPackage(path);
  return false;
}

export function analyzeNpmFile(path: string, content: Buffer): NpmFragment | undefined {
  const base = baseName(path);
  if (base === 'package.json') {
    const where = inNodeModules(path) ? classifyInstalledPackageJson(path) : undefined;
    if (where) {
      const pkg = parseInstalledPackageJson(content, path, where.dirName);
      if (!pkg) return undefined;
      // `npm install alias@npm:real@1.0.0` installs `real` in folder `alias`; advisories name the
      // real package (npm ls shows the alias), so the alias is kept as metadata only.
      if (pkg.name !== where.dirName) pkg.metadata = { alias: where.dirName };
      return { kind: 'installed', where, pkg };
    }
    // A project manifest only refines a sibling yarn.lock; templates and broken manifests in
    // source trees (`{{name}}`) are common and not worth a scan warning.
    let manifest: ReturnType<typeof parseJsonObject>;
    try {
      manifest = parseJsonObject(content, path);
    } catch {
      return undefined;
    }
    const deps = (field: string): [string, string][] => entries(manifest[field]).map(([k, v]) => [k, str(v) ?? '']);
    // npm: `workspaces: [globs]`; yarn classic also `workspaces: { packages: [globs] }`.
    const ws = Array.isArray(manifest.workspaces) ? manifest.workspaces : obj(manifest.workspaces)?.packages;
    const name = str(manifest.name)?.trim();
    const version = str(manifest.version)?.trim();
    const licenses = licensesOf(manifest);
    return {
      kind: 'manifest',
      dependencies: [...deps('dependencies'), ...deps('optionalDependencies')],
      devDependencies: deps('devDependencies'),
      workspaces: Array.isArray(ws) ? ws.filter((w): w is string => typeof w === 'string') : [],
      ...(name && version ? { pkg: { name, version, ...(licenses.length ? { licenses } : {}) } } : {}),
    };
  }
  if (base === 'package-lock.json' || base === '.package-lock.json') {
    return { kind: 'package-lock', hidden: base === '.package-lock.json', lock: parsePackageLock(content, path) };
  }
  if (base === 'yarn.lock') return { kind: 'yarn-lock', entries: parseYarnLock(content, path) };
  if (base === 'pnpm-lock.yaml') return { kind: 'pnpm-lock', packages: parsePnpmLock(content, path) };
  if (base === 'bun.lock') return { kind: 'bun-lock', packages: parseBunLock(content, path) };
  return undefined;
}

export function npmPurl(name: string, version: string): string {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return slash > 0
    ? buildPurl('npm', name.slice(0, slash), name.slice(slash + 1), version)
    : buildPurl('npm', undefined, name, version);
}

function toPackage(p: NodePackage, fragment: Fragment<unknown>): Package {
  const pkg: Package = {
    name: p.name,
    version: p.version,
    ecosystem: 'npm',
    type: 'npm',
    purl: npmPurl(p.name, p.version),
    locations: [location(fragment)],
  };
  if (p.licenses?.length) pkg.licenses = p.licenses;
  if (p.dev !== undefined) pkg.dev = p.dev;
  if (p.indirect !== undefined) pkg.indirect = p.indirect;
  if (p.metadata) pkg.metadata = p.metadata;
  return pkg;
}

/** `packages/*` relative to `rootDir` → a RegExp over image paths (`*` one segment, `**` any depth). */
function workspaceRegExp(rootDir: string, glob: string): RegExp {
  const clean = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  const body = clean.split('/').map((seg) => (seg === '**' ? '.*' : seg.split('*').map(escapeRegExp).join('[^/]*'))).join('/');
  return new RegExp(`^${rootDir ? `${escapeRegExp(rootDir)}/` : ''}${body}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A lockfile's packages with dev/indirect decided (yarn needs the sibling package.json for that). */
function lockPackages(v: NpmFragment, manifest: Extract<NpmFragment, { kind: 'manifest' }> | undefined): NodePackage[] {
  switch (v.kind) {
    case 'package-lock': return v.lock.packages;
    case 'yarn-lock':
      return (manifest ? classifyYarnEntries(v.entries, manifest) : v.entries)
        .map(({ patterns: _p, dependsOn: _d, ...p }) => p);
    case 'pnpm-lock':
    case 'bun-lock': return v.packages;
    default: return [];
  }
}

export function finalizeNpm(fragments: Fragment<NpmFragment>[]): AnalyzerOutput {
  const lockByPath = new Map<string, PackageLock>();
  const manifests = new Map<string, Extract<NpmFragment, { kind: 'manifest' }>>();
  const projectsWithInstalls = new Set<string>();
  for (const f of fragments) {
    const v = f.value;
    if (v.kind === 'package-lock') lockByPath.set(f.path, v.lock);
    else if (v.kind === 'manifest') manifests.set(dirOf(f.path), v);
    else if (v.kind === 'installed') projectsWithInstalls.add(v.where.projectDir);
  }
  const join = (dir: string, file: string): string => (dir ? `${dir}/${file}` : file);

  // Dev flags by name@version from each project's yarn/pnpm/bun lockfile, for installed packages
  // of projects without a package-lock (whose per-path flags are more precise).
  const devByProject = new Map<string, Map<string, boolean>>();
  for (const f of fragments) {
    const v = f.value;
    if (v.kind !== 'yarn-lock' && v.kind !== 'pnpm-lock' && v.kind !== 'bun-lock') continue;
    const dir = dirOf(f.path);
    if (!projectsWithInstalls.has(dir)) continue;
    const flags = devByProject.get(dir) ?? new Map<string, boolean>();
    for (const p of lockPackages(v, manifests.get(dir))) {
      if (p.dev === undefined) continue;
      const id = `${p.name}@${p.version}`;
      flags.set(id, (flags.get(id) ?? true) && p.dev);
    }
    devByProject.set(dir, flags);
  }

  const packages: Package[] = [];
  // Workspace members of an installed workspace root: npm links them into node_modules (symlinks,
  // which carry no package.json of their own) and `npm ls` lists them, so they are reported from
  // their own package.json.
  for (const [rootDir, root] of manifests) {
    if (root.workspaces.length === 0 || !projectsWithInstalls.has(rootDir)) continue;
    const patterns = root.workspaces.map((w) => workspaceRegExp(rootDir, w));
    for (const f of fragments) {
      const v = f.value;
      if (v.kind !== 'manifest' || !v.pkg) continue;
      const dir = dirOf(f.path);
      if (dir === rootDir || !patterns.some((re) => re.test(dir))) continue;
      packages.push(toPackage({ ...v.pkg, metadata: { workspace: true } }, f));
    }
  }
  for (const f of fragments) {
    const v = f.value;
    if (v.kind === 'manifest') continue;
    if (v.kind === 'installed') {
      const pkg = toPackage(v.pkg, f);
      const lock = lockByPath.get(join(v.where.projectDir, 'node_modules/.package-lock.json'))
        ?? lockByPath.get(join(v.where.projectDir, 'package-lock.json'));
      const dev = lock
        ? lock.installPaths.get(v.where.installPath)?.dev
        : devByProject.get(v.where.projectDir)?.get(`${v.pkg.name}@${v.pkg.version}`);
      if (dev !== undefined) pkg.dev = dev;
      packages.push(pkg);
      continue;
    }
    if (v.kind === 'package-lock' && v.hidden) continue;
    if (projectsWithInstalls.has(dirOf(f.path))) continue;
    for (const p of lockPackages(v, manifests.get(dirOf(f.path)))) packages.push(toPackage(p, f));
  }
  return { packages: sortPackages(mergePackages(packages)) };
}

export const npmAnalyzer: Analyzer<NpmFragment> = {
  name: 'npm',
  version: 2,
  kind: 'language',
  maxFileSize: LOCKFILE_MAX_SIZE,
  required: (path: string, _meta: FileMeta) => npmRequired(path),
  analyze: ({ path, content }: AnalyzerInput) => analyzeNpmFile(path, content),
  finalize: finalizeNpm,
};
