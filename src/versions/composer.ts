/**
 * Composer/Packagist versions, ordered by PHP's `version_compare()` after dropping a leading
 * `v`/`V` (what Composer does before comparing constraints), used for Packagist.
 *
 * PHP canonicalises first: `-`, `_`, `+` and any other non-alphanumeric character become `.`, and
 * a `.` is inserted at every switch between digits and non-digits (`1.0rc1` → `1.0.rc.1`). Parts
 * then compare left to right: numbers numerically; words by the special forms `dev < alpha = a <
 * beta = b < RC = rc < # < pl = p`, matched by prefix (`patch` counts as `p`, `alphabet` as `alpha`)
 * with unknown words below `dev`; a number against a word compares `#` with the word, so numbers
 * sit between `rc` and `pl` (`1.0rc1 < 1.0.0 < 1.0pl1`). When one side runs out, a remaining
 * number makes it newer and a remaining word is compared with `#` (`1.0 < 1.0.0`, `1.0 > 1.0rc1`,
 * `1.0 < 1.0pl1`).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, isAscii } from './util.ts';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
function isAlnum(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/** PHP's `php_canonicalize_version` (works on bytes; non-ASCII bytes are neither digits nor alphanumerics). */
export function canonicalizePhpVersion(version: string): string {
  if (version.length === 0) return '';
  let out = version[0] as string;
  let lp = out;
  for (let i = 1; i < version.length; i++) {
    const c = version[i] as string;
    const lq = out[out.length - 1];
    if (c === '-' || c === '_' || c === '+') {
      if (lq !== '.') out += '.';
    } else if ((!isDigit(lp) && lp !== '.' && isDigit(c)) || (isDigit(lp) && !isDigit(c) && c !== '.')) {
      if (lq !== '.') out += '.';
      out += c;
    } else if (!isAlnum(c)) {
      if (lq !== '.') out += '.';
    } else {
      out += c;
    }
    lp = c;
  }
  return out;
}

const SPECIAL_FORMS: Array<[string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialForm(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -1;
}

function compareSpecial(a: string, b: string): number {
  return Math.sign(specialForm(a) - specialForm(b));
}

const LONG_MAX = 9223372036854775807n;

/** C `strtol` on a part that starts with a digit: leading digits only, saturating at LONG_MAX. */
function strtol(part: string): bigint {
  const m = /^[0-9]+/.exec(part);
  const v = BigInt(m ? m[0] : '0');
  return v > LONG_MAX ? LONG_MAX : v;
}

function canonicalForm(orig: string): string {
  return orig[0] === '#' ? orig : canonicalizePhpVersion(orig);
}

/** PHP's `php_version_compare`. */
export function phpVersionCompare(orig1: string, orig2: string): number {
  if (orig1 === '' || orig2 === '') {
    if (orig1 === '' && orig2 === '') return 0;
    return orig1 ? 1 : -1;
  }
  return compareCanonical(canonicalForm(orig1), canonicalForm(orig2));
}

/** The comparison loop of `php_version_compare` on already canonicalised, non-empty strings. */
function compareCanonical(v1: string, v2: string): number {
  let p1 = 0;
  let p2 = 0;
  let n1: number | null = 0;
  let n2: number | null = 0;
  let compare = 0;
  // C reads `*p` past a terminator it wrote at a '.', so a position at a '.' it split reads as end.
  while (p1 < v1.length && p2 < v2.length && n1 !== null && n2 !== null) {
    const d1 = v1.indexOf('.', p1);
    const d2 = v2.indexOf('.', p2);
    n1 = d1 < 0 ? null : d1;
    n2 = d2 < 0 ? null : d2;
    const part1 = v1.slice(p1, n1 ?? v1.length);
    const part2 = v2.slice(p2, n2 ?? v2.length);
    const dig1 = isDigit(part1[0]);
    const dig2 = isDigit(part2[0]);
    if (dig1 && dig2) {
      const l1 = strtol(part1);
      const l2 = strtol(part2);
      compare = l1 < l2 ? -1 : l1 > l2 ? 1 : 0;
    } else if (!dig1 && !dig2) {
      compare = compareSpecial(part1, part2);
    } else if (dig1) {
      compare = compareSpecial('#N#', part2);
    } else {
      compare = compareSpecial(part1, '#N#');
    }
    if (compare !== 0) break;
    if (n1 !== null) p1 = n1 + 1;
    if (n2 !== null) p2 = n2 + 1;
  }
  if (compare === 0) {
    if (n1 !== null) {
      compare = isDigit(v1[p1]) ? 1 : phpVersionCompare(v1.slice(p1), '#N#');
    } else if (n2 !== null) {
      compare = isDigit(v2[p2]) ? -1 : phpVersionCompare('#N#', v2.slice(p2));
    }
  }
  return compare;
}

/** PHP works on bytes: a non-ASCII character is its UTF-8 bytes, one code unit per byte here. */
function toBytes(s: string): string {
  return isAscii(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

function stripV(version: string): string {
  return version.length > 1 && (version[0] === 'v' || version[0] === 'V') ? version.slice(1) : version;
}

/** Validates, drops the `v`, and canonicalises once per distinct string (cached). */
function prepare(version: string): string {
  if (version.indexOf('\0') >= 0) throw new InvalidVersionError('composer', version, 'contains NUL');
  const bytes = toBytes(stripV(version));
  return bytes === '' ? '' : canonicalForm(bytes);
}

const cache = new ParseCache<string>();

export const composerScheme: VersionScheme = {
  id: 'composer',
  // version_compare takes any string; the empty one sorts below every other (`"" < "0"`).
  isValid(version) {
    return version.indexOf('\0') < 0;
  },
  compare(a, b) {
    const ca = cache.get(a, prepare);
    const cb = cache.get(b, prepare);
    if (ca === '' || cb === '') return ca === cb ? 0 : ca === '' ? -1 : 1;
    return compareCanonical(ca, cb);
  },
};
