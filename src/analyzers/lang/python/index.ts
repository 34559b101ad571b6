/**
 * The Python analyzer: installed distributions (dist-info / egg-info core metadata, found in any
 * site-packages or dist-packages) and project lockfiles (requirements.txt, poetry.lock,
 * Pipfile.lock, uv.lock, pylock.toml). The package name is the one the metadata states; the purl
 * carries the PEP 503 normalised name, which is what advisories are keyed on.
 */
import type { FileMeta } from '../../../image/types.ts';
import type { Analyzer, AnalyzerInput, AnalyzerOutput, Fragment } from '../../types.ts';
import { LOCKFILE_MAX_SIZE, baseName, buildPurl, finalizeLanguageRecords, insideInstalledPackage } from '../common.ts';
import { parseCoreMetadata } from './metadata.ts';
import { parsePipfileLock, parsePoetryLock, parsePylock, parseRequirements, parseUvLock } from './lockfiles.ts';
import type { PythonLockPackage } from './lockfiles.ts';

export interface PythonRecord {
  name: string;
  version: string;
  licenses?: string[];
  dev?: boolean;
  relationship?: 'root';
}

type FileKind = 'metadata' | 'requirements' | 'poetry' | 'pipfile' | 'uv' | 'pylock';

/** PEP 503: runs of `-`, `_`, `.` become one `-`, lowercased. */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

const METADATA_FILE = /(^|\/)([^/]+\.dist-info\/METADATA|[^/]+\.egg-info\/PKG-INFO|EGG-INFO\/PKG-INFO|[^/]+\.egg-info)$/;
const IN_SITE_PACKAGES = /(^|\/)(site|dist)-packages\//g;
const SITE_ENTRY = /^([^/]+\.dist-info\/METADATA|[^/]+\.egg-info\/PKG-INFO|[^/]+\.egg\/EGG-INFO\/PKG-INFO|[^/]+\.egg-info)$/;

/**
 * A distribution's core metadata where Python would find it. Inside a site-packages or
 * dist-packages directory, importlib.metadata only looks at that directory's own entries
 * (`X.dist-info/`, `X.egg-info`, `X.egg/EGG-INFO/`); metadata deeper down belongs to a package's
 * data, e.g. setuptools' `pkg_resources/tests/data/…/my_test_package-1.0-py3.7.egg/EGG-INFO/PKG-INFO`.
 * Elsewhere (a PYTHONPATH directory, an unpacked app) any such directory counts.
 */
function isDistributionMetadata(path: string): boolean {
  if (!METADATA_FILE.test(path)) return false;
  let rest: string | undefined;
  for (const m of path.matchAll(IN_SITE_PACKAGES)) rest = path.slice(m.index + m[0].length);
  return rest === undefined || SITE_ENTRY.test(rest);
}

export function pythonFileKind(path: string, type: FileMeta['type'] = 'file'): FileKind | undefined {
  const base = baseName(path);
  // pip and setuptools ship copies of their own dependencies (with dist-info) under `_vendor/`;
  // they are not importable distributions and `pip list` does not show them.
  if (path.includes('/_vendor/')) return undefined;
  if (base === 'METADATA' || base === 'PKG-INFO' || base.endsWith('.egg-info')) {
    if (!isDistributionMetadata(path)) return undefined;
    if (base === 'METADATA' || base === 'PKG-INFO') return 'metadata';
    return type === 'file' || type === 'hardlink' ? 'metadata' : undefined;
  }
  if (insideInstalledPackage(path)) return undefined;
  if (base === 'requirements.txt') return 'requirements';
  if (base === 'poetry.lock') return 'poetry';
  if (base === 'Pipfile.lock') return 'pipfile';
  if (base === 'uv.lock') return 'uv';
  if (base === 'pylock.toml' || /^pylock\.[^/]+\.toml$/.test(base)) return 'pylock';
  return undefined;
}

export function analyzePythonFile(path: string, content: Buffer): PythonRecord[] {
  const kind = pythonFileKind(path);
  const lock = (pkgs: PythonLockPackage[]): PythonRecord[] => pkgs;
  switch (kind) {
    case 'metadata': {
      const m = parseCoreMetadata(content, path);
      return [{ name: m.name, version: m.version, ...(m.licenses.length ? { licenses: m.licenses } : {}) }];
    }
    case 'requirements': return lock(parseRequirements(content));
    case 'poetry': return lock(parsePoetryLock(content, path));
    case 'pipfile': return lock(parsePipfileLock(content, path));
    case 'uv': return lock(parseUvLock(content, path));
    case 'pylock': return lock(parsePylock(content, path));
    default: return [];
  }
}

export function pythonPurl(name: string, version: string): string {
  return buildPurl('pypi', undefined, normalizePythonName(name), version);
}

export function finalizePython(fragments: Fragment<PythonRecord[]>[]): AnalyzerOutput {
  return finalizeLanguageRecords(fragments, {
    ecosystem: 'PyPI',
    type: 'python',
    purl: pythonPurl,
    mergeKey: (p) => `${normalizePythonName(p.name)}\u0000${p.version}`,
  });
}

export const pythonAnalyzer: Analyzer<PythonRecord[]> = {
  name: 'python',
  version: 2,
  kind: 'language',
  maxFileSize: LOCKFILE_MAX_SIZE,
  required: (path: string, meta: FileMeta) => pythonFileKind(path, meta.type) !== undefined,
  analyze: ({ path, content }: AnalyzerInput) => analyzePythonFile(path, content),
  finalize: finalizePython,
};
