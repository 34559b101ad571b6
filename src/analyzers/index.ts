/**
 * The one list of analyzers. Adding an ecosystem: write its module under os/ or lang/ and add one
 * import and one entry here. Order does not matter; the inventory builder merges their outputs.
 */
import { createHash } from 'node:crypto';
import type { Analyzer } from './types.ts';
import { dpkgAnalyzer } from './os/dpkg.ts';
import { apkAnalyzer } from './os/apk.ts';
import { osReleaseAnalyzer } from './os/os-release.ts';
import { rpmAnalyzer } from './os/rpm/index.ts';
import { npmAnalyzer } from './lang/npm/index.ts';
import { pythonAnalyzer } from './lang/python/index.ts';
import { goBinaryAnalyzer, goModAnalyzer } from './lang/golang/index.ts';
import { dotnetAnalyzer } from './lang/dotnet/index.ts';
import { composerAnalyzer } from './lang/php/index.ts';
import { rubyAnalyzer } from './lang/ruby/index.ts';
import { cargoLockAnalyzer, rustBinaryAnalyzer } from './lang/rust/index.ts';
import { javaArchiveAnalyzer } from './lang/java/index.ts';

export const ALL_ANALYZERS: Analyzer[] = [
  dpkgAnalyzer as Analyzer,
  apkAnalyzer as Analyzer,
  osReleaseAnalyzer as Analyzer,
  rpmAnalyzer as Analyzer,
  npmAnalyzer as Analyzer,
  pythonAnalyzer as Analyzer,
  goBinaryAnalyzer as Analyzer,
  goModAnalyzer as Analyzer,
  dotnetAnalyzer as Analyzer,
  composerAnalyzer as Analyzer,
  rubyAnalyzer as Analyzer,
  cargoLockAnalyzer as Analyzer,
  rustBinaryAnalyzer as Analyzer,
  javaArchiveAnalyzer as Analyzer,
];

/**
 * A short, stable fingerprint of an analyzer set: any added, removed or re-versioned analyzer
 * changes it. Analyzers bump their `version` whenever their output for the same input changes.
 */
export function analyzerFingerprint(analyzers: readonly Pick<Analyzer, 'name' | 'version'>[]): string {
  const ids = analyzers.map((a) => `${a.name}@${a.version}`).sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
}
