/**
 * The one registry of version schemes (scheme id → implementation) and the map from OSV ecosystem
 * names to schemes. Adding a scheme: write src/versions/<scheme>.ts and add one entry to SCHEMES.
 */
import { apkScheme } from './apk.ts';
import { composerScheme } from './composer.ts';
import { cranScheme } from './cran.ts';
import { dpkgScheme } from './dpkg.ts';
import { genericScheme } from './generic.ts';
import { goScheme } from './go.ts';
import { hackageScheme } from './hackage.ts';
import { mavenScheme } from './maven.ts';
import { nugetScheme } from './nuget.ts';
import { pep440Scheme } from './pep440.ts';
import { pubScheme } from './pub.ts';
import { rpmScheme } from './rpm.ts';
import { rubygemsScheme } from './rubygems.ts';
import { semverScheme } from './semver.ts';
import type { VersionScheme } from './types.ts';

export type { VersionScheme } from './types.ts';
export { InvalidVersionError } from './types.ts';

const SCHEMES: ReadonlyMap<string, VersionScheme> = new Map(
  [
    dpkgScheme,
    apkScheme,
    rpmScheme,
    semverScheme,
    goScheme,
    nugetScheme,
    pubScheme,
    pep440Scheme,
    mavenScheme,
    rubygemsScheme,
    composerScheme,
    cranScheme,
    hackageScheme,
    genericScheme,
  ].map((s) => [s.id, s]),
);

/** Every registered scheme id: `dpkg`, `apk`, `rpm`, `semver`, `go`, `nuget`, `pub`, `pep440`, `maven`, `rubygems`, `composer`, `cran`, `hackage`, `generic`. */
export const SCHEME_IDS: readonly string[] = [...SCHEMES.keys()];

/** `getScheme('dpkg')` → the dpkg scheme; throws for an id not in SCHEME_IDS. */
export function getScheme(id: string): VersionScheme {
  const scheme = SCHEMES.get(id);
  if (!scheme) throw new Error(`unknown version scheme ${JSON.stringify(id)}; known: ${SCHEME_IDS.join(', ')}`);
  return scheme;
}

/** OSV ecosystem name (lower-cased, without the `:release` suffix) → scheme id. */
const ECOSYSTEM_SCHEMES: Readonly<Record<string, string>> = {
  debian: 'dpkg',
  ubuntu: 'dpkg',
  alpine: 'apk',
  wolfi: 'apk',
  chainguard: 'apk',
  minimos: 'apk',
  'red hat': 'rpm',
  'rocky linux': 'rpm',
  almalinux: 'rpm',
  opensuse: 'rpm',
  suse: 'rpm',
  mariner: 'rpm',
  'azure linux': 'rpm',
  'photon os': 'rpm',
  'amazon linux': 'rpm',
  fedora: 'rpm',
  'oracle linux': 'rpm',
  centos: 'rpm',
  openeuler: 'rpm',
  mageia: 'rpm',
  npm: 'semver',
  'crates.io': 'semver',
  hex: 'semver',
  swifturl: 'semver',
  bitnami: 'semver',
  pub: 'pub',
  nuget: 'nuget',
  go: 'go',
  pypi: 'pep440',
  maven: 'maven',
  rubygems: 'rubygems',
  packagist: 'composer',
  cran: 'cran',
  bioconductor: 'cran',
  hackage: 'hackage',
  ghc: 'hackage',
};

/**
 * Scheme for an OSV ecosystem string, matched case-insensitively on the part before the first
 * `:` (`Debian:11`, `Ubuntu:22.04:LTS` → dpkg; `Alpine:v3.19` → apk;
 * `Red Hat:enterprise_linux:9::appstream` → rpm). Unknown ecosystems get the generic scheme with
 * confidence 'low'.
 */
export function schemeForEcosystem(ecosystem: string): { scheme: VersionScheme; confidence: 'high' | 'low' } {
  const colon = ecosystem.indexOf(':');
  const name = (colon >= 0 ? ecosystem.slice(0, colon) : ecosystem).trim().toLowerCase();
  const id = ECOSYSTEM_SCHEMES[name];
  if (id === undefined) return { scheme: genericScheme, confidence: 'low' };
  return { scheme: getScheme(id), confidence: 'high' };
}

/** Every ecosystem name with a dedicated scheme (lower-cased), for documentation and tests. */
export const KNOWN_ECOSYSTEMS: readonly string[] = Object.keys(ECOSYSTEM_SCHEMES);
