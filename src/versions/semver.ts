/**
 * SemVer 2.0 as implemented by npm's `semver` package (`semver.compare`), used for npm,
 * crates.io, Hex, SwiftURL and Bitnami. Delegating to the package npm itself uses keeps the
 * npm verdict exact, including its edges: a leading `v` or `=` and surrounding blanks are
 * accepted, major/minor/patch above 2^53-1 are rejected, leading zeros are rejected.
 *
 * Ordering: major, minor, patch numerically; a pre-release sorts before its release
 * (`1.0.0-rc.1 < 1.0.0`); pre-release identifiers compare left to right, numeric ones numerically
 * and below alphanumeric ones (`1.0.0-alpha.2 < 1.0.0-alpha.10 < 1.0.0-alpha.beta`), a shorter list
 * first when it is a prefix (`1.0.0-alpha < 1.0.0-alpha.1`); build metadata is ignored
 * (`1.0.0+a = 1.0.0+b`).
 */
import { SemVer } from 'semver';
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache } from './util.ts';

function parseNpm(version: string): SemVer {
  try {
    return new SemVer(version);
  } catch (err) {
    throw new InvalidVersionError('semver', version, err instanceof Error ? err.message : undefined);
  }
}

const cache = new ParseCache<SemVer>();

export const semverScheme: VersionScheme = {
  id: 'semver',
  isValid(version) {
    try {
      cache.get(version, parseNpm);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return cache.get(a, parseNpm).compare(cache.get(b, parseNpm));
  },
};
