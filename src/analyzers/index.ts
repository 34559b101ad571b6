/**
 * The one list of analyzers. Adding an ecosystem: write its module under os/ or lang/ and add one
 * import and one entry here. Order does not matter; the inventory builder merges their outputs.
 */
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
