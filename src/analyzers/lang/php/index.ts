/**
 * The PHP analyzer: Composer's installed list (`<vendor-dir>/composer/installed.json`, where the
 * vendor dir is `vendor/` unless the project's `config.vendor-dir` names another) and
 * `composer.lock`. When a project has an installed vendor directory, it is the inventory (it is
 * what runs, and `--no-dev` installs leave dev packages out); the lockfile of that project is
 * then not reported on its own.
 */
import type { Package } from '../../../model/inventory.ts';
import type { FileMeta } from '../../../image/types.ts';
import type { Analyzer, AnalyzerInput, AnalyzerOutput, Fragment } from '../../types.ts';
import { LOCKFILE_MAX_SIZE, baseName, buildPurl, dirOf, insideInstalledPackage, location, mergePackages, sortPackages } from '../common.ts';
import { parseComposerLock, parseInstalledJson } from './composer.ts';
import type { ComposerPackage } from './composer.ts';

export interface ComposerFragment {
  kind: 'lock' | 'installed';
  packages: ComposerPackage[];
}

/** `<vendor-dir>/composer/installed.json`: Composer writes it there whatever `config.vendor-dir` is. */
const INSTALLED_JSON = /(^|\/)[^/]+\/composer\/installed\.json$/;

export function composerRequired(path: string): boolean {
  if (baseName(path) === 'composer.lock') {
    // Packages installed under a vendor dir may ship the composer.lock of their own development.
    return !insideInstalledPackage(path) && !/(^|\/)vendor\//.test(path);
  }
  return INSTALLED_JSON.test(path);
}

/** The vendor dir of an installed list, with a trailing slash (`app/lib/deps/composer/installed.json` → `app/lib/deps/`). */
function vendorDirOf(installedJson: string): string {
  return `${dirOf(dirOf(installedJson))}/`;
}

/**
 * The lockfiles superseded by an installed vendor dir: each vendor dir belongs to the nearest
 * composer.lock above it (`app/composer.lock` for `app/vendor/` and for `app/lib/deps/`).
 * Lockfiles inside a vendor dir are the dependencies' own development lockfiles and are dropped.
 */
function supersededLocks(fragments: Fragment<ComposerFragment>[]): Set<string> {
  const vendorDirs = fragments.filter((f) => f.value.kind === 'installed').map((f) => vendorDirOf(f.path));
  const dropped = new Set<string>();
  const locks: string[] = [];
  for (const f of fragments) {
    if (f.value.kind !== 'lock') continue;
    if (vendorDirs.some((v) => f.path.startsWith(v))) dropped.add(f.path);
    else locks.push(f.path);
  }
  for (const vendor of vendorDirs) {
    let owner: string | undefined;
    for (const lock of locks) {
      const dir = dirOf(lock);
      if ((dir === '' || vendor.startsWith(`${dir}/`)) && (owner === undefined || dir.length > dirOf(owner).length)) owner = lock;
    }
    if (owner !== undefined) dropped.add(owner);
  }
  return dropped;
}

export function analyzeComposerFile(path: string, content: Buffer): ComposerFragment {
  return baseName(path) === 'composer.lock'
    ? { kind: 'lock', packages: parseComposerLock(content, path) }
    : { kind: 'installed', packages: parseInstalledJson(content, path) };
}

export function composerPurl(name: string, version: string): string {
  const slash = name.indexOf('/');
  return slash > 0
    ? buildPurl('composer', name.slice(0, slash), name.slice(slash + 1), version)
    : buildPurl('composer', undefined, name, version);
}

export function finalizeComposer(fragments: Fragment<ComposerFragment>[]): AnalyzerOutput {
  const dropped = supersededLocks(fragments);
  const packages: Package[] = [];
  for (const f of fragments) {
    if (f.value.kind === 'lock' && dropped.has(f.path)) continue;
    for (const c of f.value.packages) {
      const pkg: Package = {
        name: c.name,
        version: c.version,
        ecosystem: 'Packagist',
        type: 'composer',
        purl: composerPurl(c.name, c.version),
        locations: [location(f)],
      };
      if (c.licenses?.length) pkg.licenses = c.licenses;
      if (c.dev !== undefined) pkg.dev = c.dev;
      packages.push(pkg);
    }
  }
  // Packagist names are case-insensitive.
  return { packages: sortPackages(mergePackages(packages, (p) => `${p.name.toLowerCase()}\u0000${p.version}`)) };
}

export const composerAnalyzer: Analyzer<ComposerFragment> = {
  name: 'composer',
  version: 2,
  kind: 'language',
  maxFileSize: LOCKFILE_MAX_SIZE,
  required: (path: string, _meta: FileMeta) => composerRequired(path),
  analyze: ({ path, content }: AnalyzerInput) => analyzeComposerFile(path, content),
  finalize: finalizeComposer,
};
