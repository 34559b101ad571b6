/**
 * R package versions (R's `compareVersion()` / `package_version`), used for CRAN and Bioconductor.
 *
 * Form: non-negative integers (each at most 2^31-1, R's integer range) separated by `.` or `-` (`1.2-3`). Parts compare numerically left to
 * right and a version with more parts is newer when the common parts are equal, so `0.01.0 =
 * 0.1-0`, `0.9 < 0.75`, `1.0 < 1.0.0` (unlike most schemes, trailing zeros count).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

const CRAN = /^[0-9]+(?:[.-][0-9]+)*$/;

export function parseCran(input: string): string[] {
  if (!CRAN.test(input)) throw new InvalidVersionError('cran', input, 'expected numbers separated by "." or "-"');
  const parts = input.split(/[.-]/);
  // R reads each part with as.integer(): beyond 2^31-1 it is NA and compareVersion() fails.
  for (const p of parts) if (compareDigits(p, '2147483647') > 0) throw new InvalidVersionError('cran', input, `part ${p} exceeds R's integer range`);
  return parts;
}

export function compareNumberLists(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i] as string, b[i] as string);
    if (c) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const cache = new ParseCache<string[]>();

export const cranScheme: VersionScheme = {
  id: 'cran',
  isValid(version) {
    try {
      cache.get(version, parseCran);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return compareNumberLists(cache.get(a, parseCran), cache.get(b, parseCran));
  },
};
