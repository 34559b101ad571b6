/**
 * The .NET analyzer: `*.deps.json` next to built applications (what images ship), plus NuGet
 * `packages.lock.json`, `Directory.Packages.props` and project files for source trees.
 */
import type { FileMeta } from '../../../image/types.ts';
import type { Analyzer, AnalyzerInput, AnalyzerOutput, Fragment } from '../../types.ts';
import { LOCKFILE_MAX_SIZE, baseName, buildPurl, finalizeLanguageRecords, insideInstalledPackage } from '../common.ts';
import { parseDepsJson, parsePackagesLockJson } from './deps-json.ts';
import type { DotnetPackage } from './deps-json.ts';
import { parseMsbuildPackages } from './msbuild.ts';

type FileKind = 'deps-json' | 'packages-lock' | 'msbuild';

export function dotnetFileKind(path: string): FileKind | undefined {
  const base = baseName(path);
  if (base.endsWith('.deps.json') && base.length > '.deps.json'.length) return 'deps-json';
  // Source-tree files inside other packages (an npm package's .NET sample, a NuGet package's
  // content files in the package cache) describe those packages' builds, not this image.
  if (insideInstalledPackage(path) || /(^|\/)\.nuget\/packages\//.test(path)) return undefined;
  if (base === 'packages.lock.json') return 'packages-lock';
  if (base === 'Directory.Packages.props' || /\.(cs|fs|vb)proj$/.test(base)) return 'msbuild';
  return undefined;
}

export function analyzeDotnetFile(path: string, content: Buffer): DotnetPackage[] {
  switch (dotnetFileKind(path)) {
    case 'deps-json': return parseDepsJson(content, path);
    case 'packages-lock': return parsePackagesLockJson(content, path);
    case 'msbuild': return parseMsbuildPackages(content);
    default: return [];
  }
}

export function finalizeDotnet(fragments: Fragment<DotnetPackage[]>[]): AnalyzerOutput {
  return finalizeLanguageRecords(fragments, {
    ecosystem: 'NuGet',
    type: 'nuget',
    purl: (name, version) => buildPurl('nuget', undefined, name, version),
    // NuGet ids are case-insensitive; versions compare as written here.
    mergeKey: (p) => `${p.name.toLowerCase()}\u0000${p.version.toLowerCase()}`,
  });
}

export const dotnetAnalyzer: Analyzer<DotnetPackage[]> = {
  name: 'dotnet',
  version: 2,
  kind: 'language',
  maxFileSize: LOCKFILE_MAX_SIZE,
  required: (path: string, _meta: FileMeta) => dotnetFileKind(path) !== undefined,
  analyze: ({ path, content }: AnalyzerInput) => analyzeDotnetFile(path, content),
  finalize: finalizeDotnet,
};
