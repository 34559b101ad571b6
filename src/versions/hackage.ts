/**
 * Haskell package versions (Cabal's `Version`, a list of numbers), used for Hackage and GHC.
 *
 * Form: non-negative integers separated by `.` (`1.2.0.1`). Lists compare lexicographically and
 * a list that is a prefix of another is older, so `1.0 < 1.0.0 < 1.0.0.1` and `0.11.3.0 < 1.0`.
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { compareNumberLists } from './cran.ts';
import { ParseCache } from './util.ts';

const HACKAGE = /^[0-9]+(?:\.[0-9]+)*$/;

export function parseHackage(input: string): string[] {
  if (!HACKAGE.test(input)) throw new InvalidVersionError('hackage', input, 'expected numbers separated by "."');
  return input.split('.');
}

const cache = new ParseCache<string[]>();

export const hackageScheme: VersionScheme = {
  id: 'hackage',
  isValid(version) {
    return HACKAGE.test(version);
  },
  compare(a, b) {
    return compareNumberLists(cache.get(a, parseHackage), cache.get(b, parseHackage));
  },
};
