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

export function pythonFileKind(path: string, type: FileMeta['type'] = 'file'): FileKind | undefined {
  const base = baseName(path);
  // pip and setuptools ship copies of their own dependencies (with dist-info) under `_vendor/`;
  // they are not importable distributions and `pip list` does not show them.
  if (path.includes('/_vendor/')) return undefined;
  if (base === 'METADATA') return /(^|\/)[^/]+\.dist-info\/METADATA$/.test(path) ? 'metadata' : undefined;
  if (base === 'PKG-INFO') return /(^|\/)([^/]+\.egg-info|EGG-INFO)\/PKG-INFO$/.test(path) ? 'metadata' : undefined;
  if (base.endsWith('.egg-info') && base.length > 9) return type === 'file' || type === 'hardlink' ? 'metadata' : undefined;
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
  version: 1,
  kind: 'language',
  maxFileSize: LOCKFILE_MAX_SIZE,
  required: (path: string, meta: FileMeta) => pythonFileKind(path, meta.type) !== undefined,
  analyze: ({ path, content }: AnalyzerInput) => analyzePythonFile(path, content),
  finalize: finalizePython,
};
