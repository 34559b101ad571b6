/**
 * Dart/Flutter package versions (`pub_semver`'s `Version.compareTo`), used for Pub.
 *
 * Form: `MAJOR.MINOR.PATCH[-pre.release][+build]` (exactly three numbers). It orders like SemVer
 * for the numbers and pre-release (`1.0.0-pre < 1.0.0`), with two differences: build metadata
 * counts, and a version with a build sorts after the same version without one
 * (`1.0.0 < 1.0.0+build`, `1.2.3+1 < 1.2.3+2`); parts of pre-release and build that Dart's
 * `int.tryParse` reads as integers (`01`, `0x1f`, `-1`) compare as numbers, before strings.
 * OSV writes some Pub versions with a leading `v`; it is accepted and ignored.
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache } from './util.ts';

export interface PubVersion {
  major: bigint;
  minor: bigint;
  patch: bigint;
  preRelease: Array<bigint | string>;
  build: Array<bigint | string>;
}

const PUB = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Dart's `int.tryParse(part)`: optional sign, decimal or `0x` hexadecimal, 64-bit range. */
function dartInt(part: string): bigint | null {
  const m = /^([+-]?)(?:0[xX]([0-9A-Fa-f]+)|([0-9]+))$/.exec(part);
  if (!m) return null;
  const magnitude = m[2] !== undefined ? BigInt(`0x${m[2]}`) : BigInt(m[3] as string);
  const value = m[1] === '-' ? -magnitude : magnitude;
  if (value > INT64_MAX || value < INT64_MIN) return null;
  return value;
}

export function parsePub(input: string): PubVersion {
  const text = input.startsWith('v') ? input.slice(1) : input;
  const m = PUB.exec(text);
  if (!m) throw new InvalidVersionError('pub', input, 'not a Pub version (MAJOR.MINOR.PATCH[-pre][+build])');
  const num = (s: string): bigint => {
    const v = BigInt(s);
    if (v > INT64_MAX) throw new InvalidVersionError('pub', input, `number ${s} does not fit Dart's int`);
    return v;
  };
  const split = (s: string | undefined): Array<bigint | string> =>
    s === undefined ? [] : s.split('.').map((p) => dartInt(p) ?? p);
  return {
    major: num(m[1] as string),
    minor: num(m[2] as string),
    patch: num(m[3] as string),
    preRelease: split(m[4]),
    build: split(m[5]),
  };
}

function compareParts(a: ReadonlyArray<bigint | string>, b: ReadonlyArray<bigint | string>): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'bigint') {
      if (typeof y === 'bigint') return x < y ? -1 : 1;
      return -1;
    }
    if (typeof y === 'bigint') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export function comparePubVersions(a: PubVersion, b: PubVersion): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  const aPre = a.preRelease.length > 0;
  const bPre = b.preRelease.length > 0;
  if (aPre !== bPre) return aPre ? -1 : 1;
  const pre = compareParts(a.preRelease, b.preRelease);
  if (pre) return pre;
  const aBuild = a.build.length > 0;
  const bBuild = b.build.length > 0;
  if (aBuild !== bBuild) return aBuild ? 1 : -1;
  return compareParts(a.build, b.build);
}

const cache = new ParseCache<PubVersion>();

export const pubScheme: VersionScheme = {
  id: 'pub',
  isValid(version) {
    try {
      cache.get(version, parsePub);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return comparePubVersions(cache.get(a, parsePub), cache.get(b, parsePub));
  },
};
