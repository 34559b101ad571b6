/**
 * Go module versions (`golang.org/x/mod/semver`), used for the Go ecosystem.
 *
 * Go writes `v1.2.3`; OSV writes `1.2.3`, so the `v` is optional here. Shorthands `v1` and `v1.2`
 * mean `v1.0.0` and `v1.2.0` (without pre-release or build). Numbers have no leading zeros and
 * any length. Ordering is SemVer 2.0: `v1.0.0-rc.1 < v1.0.0`; pseudo-versions are ordinary
 * pre-releases, so `v0.0.0-20191109021931-daa7c04131f5 < v0.0.0-20200101000000-abcdefabcdef <
 * v0.0.0` and `v1.2.4-0.20191109021931-daa7c04131f5` sits between `v1.2.3` and `v1.2.4`; build
 * metadata, including `+incompatible`, is ignored (`v2.0.0+incompatible = v2.0.0`).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

export interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** Pre-release identifiers; empty for a release. */
  prerelease: string[];
  build: string;
}

const GO_SEMVER =
  /^v(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?$/;

export function parseGo(input: string): GoVersion {
  const text = input.startsWith('v') ? input : `v${input}`;
  const m = GO_SEMVER.exec(text);
  if (!m) throw new InvalidVersionError('go', input, 'not a Go module version (vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]])');
  return {
    major: m[1] as string,
    minor: m[2] ?? '0',
    patch: m[3] ?? '0',
    prerelease: m[4] === undefined ? [] : m[4].split('.'),
    build: m[5] ?? '',
  };
}

function isNumericIdent(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
}

/**
 * SemVer 2.0 pre-release precedence on identifier lists (an empty list is a release and sorts
 * last). Numeric identifiers compare by value, below alphanumeric ones, which compare in ASCII order.
 */
export function compareSemverPrerelease(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    const xn = isNumericIdent(x);
    const yn = isNumericIdent(y);
    if (xn !== yn) return xn ? -1 : 1;
    if (xn) return compareDigits(x, y);
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareGoVersions(a: GoVersion, b: GoVersion): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    compareSemverPrerelease(a.prerelease, b.prerelease)
  );
}

/** Canonical Go form (`semver.Canonical`): always `vX.Y.Z`, pre-release kept, build dropped. */
export function formatGo(v: GoVersion): string {
  return `v${v.major}.${v.minor}.${v.patch}${v.prerelease.length ? `-${v.prerelease.join('.')}` : ''}`;
}

const cache = new ParseCache<GoVersion>();

export const goScheme: VersionScheme = {
  id: 'go',
  isValid(version) {
    try {
      cache.get(version, parseGo);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return compareGoVersions(cache.get(a, parseGo), cache.get(b, parseGo));
  },
};
