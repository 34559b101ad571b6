/**
 * The Ruby analyzer: installed gems (`specifications/*.gemspec`, including RubyGems' default gems
 * under `specifications/default/`) and Bundler's Gemfile.lock.
 */
import type { FileMeta } from '../../../image/types.ts';
import type { Analyzer, AnalyzerInput, AnalyzerOutput, Fragment } from '../../types.ts';
import { LOCKFILE_MAX_SIZE, baseName, buildPurl, finalizeLanguageRecords, insideInstalledPackage } from '../common.ts';
import { parseGemspec } from './gemspec.ts';
import { parseGemfileLock } from './gemfile-lock.ts';

export interface GemRecord {
  name: string;
  version: string;
  licenses?: string[];
  indirect?: boolean;
}

export function rubyRequired(path: string): boolean {
  const base = baseName(path);
  if (base === 'Gemfile.lock') return !insideInstalledPackage(path);
  return base.endsWith('.gemspec') && /(^|\/)specifications\/(default\/)?[^/]+\.gemspec$/.test(path);
}

export function analyzeRubyFile(path: string, content: Buffer): GemRecord[] {
  if (baseName(path) === 'Gemfile.lock') {
    return parseGemfileLock(content).map((g) => ({ name: g.name, version: g.version, indirect: g.indirect }));
  }
  const spec = parseGemspec(content, path);
  return [{ name: spec.name, version: spec.version, ...(spec.licenses.length ? { licenses: spec.licenses } : {}) }];
}

export function finalizeRuby(fragments: Fragment<GemRecord[]>[]): AnalyzerOutput {
  return finalizeLanguageRecords(fragments, { ecosystem: 'RubyGems', type: 'gem', purl: (name, version) => buildPurl('gem', undefined, name, version) });
}

export const rubyAnalyzer: Analyzer<GemRecord[]> = {
  name: 'ruby',
  version: 2,
  kind: 'language',
  maxFileSize: LOCKFILE_MAX_SIZE,
  required: (path: string, _meta: FileMeta) => rubyRequired(path),
  analyze: ({ path, content }: AnalyzerInput) => analyzeRubyFile(path, content),
  finalize: finalizeRuby,
};
