/**
 * Debian package versions (`dpkg --compare-versions`), used for Debian and Ubuntu.
 *
 * Form: `[epoch:]upstream[-revision]`. The epoch is the digits before the first `:`, the revision
 * is everything after the last `-`. Each part is compared in turn (missing epoch = 0, missing
 * revision = empty) with dpkg's `verrevcmp`: alternate non-digit runs and digit runs; in a
 * non-digit run `~` sorts before everything, even the end of the string, letters sort before
 * non-letters, and other characters by their byte value; digit runs compare numerically.
 *
 * Examples: `1.0~rc1 < 1.0 < 1.0a < 1.0+b1` (letters sort before non-letters); `1.0~~ < 1.0~ < 1.0`;
 * `1:0.1 > 9.9`; `1.0-1 = 1.0-01 = 0:1.0-1`; `1.0 = 1.0-0`; `1.10 > 1.9`.
 *
 * An empty string (or dpkg's `<unknown>`) is "no version": `dpkg --compare-versions` accepts it and
 * orders it below every other version, so it does here too (`"" < ~ < 0`).
 *
 * Validity follows dpkg's parser: errors (blank-only, embedded blanks, non-numeric/negative/too large
 * epoch, empty upstream, empty revision after `-`, nothing after `:`) make the version invalid.
 * dpkg only *warns* about an upstream part that does not start with a digit or about characters
 * outside `[A-Za-z0-9.+~:-]` and then compares anyway; since `dpkg --compare-versions` prints a
 * verdict for those, they are valid here too and compare exactly as dpkg compares them.
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, isAscii, sign } from './util.ts';

export interface DpkgVersion {
  /** `dpkg --compare-versions` reads an empty argument or `<unknown>` as "no version", below all others. */
  blank?: boolean;
  epoch: number;
  upstream: string;
  revision: string;
}

const INT_MAX = 2147483647;

function isBlank(c: number): boolean {
  return c === 32 || c === 9; // c_isblank: space and tab
}

/** Parses like dpkg's `parseversion`; throws InvalidVersionError on what dpkg reports as an error. */
export function parseDpkg(input: string): DpkgVersion {
  const fail = (reason: string): never => {
    throw new InvalidVersionError('dpkg', input, reason);
  };
  if (input.length === 0 || input === '<unknown>') return { blank: true, epoch: 0, upstream: '', revision: '' };
  let start = 0;
  while (start < input.length && isBlank(input.charCodeAt(start))) start++;
  let end = start;
  while (end < input.length && !isBlank(input.charCodeAt(end))) end++;
  for (let k = end; k < input.length; k++) if (!isBlank(input.charCodeAt(k))) fail('version string has embedded spaces');
  if (input.indexOf('\0') >= 0) fail('version string contains NUL');
  let rest = input.slice(start, end);
  if (rest.length === 0) fail('version string is empty');

  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const epochText = rest.slice(0, colon);
    // strtol accepts an optional sign; dpkg then rejects negatives and anything after the digits.
    const m = /^([+-]?)([0-9]+)$/.exec(epochText);
    if (epochText.length === 0) fail('epoch in version is empty');
    if (!m) fail('epoch in version is not number');
    const digits = (m as RegExpExecArray)[2] as string;
    const value = Number(digits);
    if ((m as RegExpExecArray)[1] === '-' && value !== 0) fail('epoch in version is negative');
    if (value > INT_MAX) fail('epoch in version is too big');
    epoch = value;
    rest = rest.slice(colon + 1);
    if (rest.length === 0) fail('nothing after colon in version number');
  }
  const hyphen = rest.lastIndexOf('-');
  let upstream = rest;
  let revision = '';
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision.length === 0) fail('revision number is empty');
  }
  if (upstream.length === 0) fail('version number is empty');
  return { epoch, upstream: toBytes(upstream), revision: toBytes(revision) };
}

/**
 * dpkg compares bytes; a non-ASCII character is compared byte by byte of its UTF-8 encoding, so
 * such strings are re-expressed as one code unit per byte (latin1 view of the UTF-8 bytes).
 */
function toBytes(s: string): string {
  return isAscii(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function order(c: number): number {
  if (isDigit(c)) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126) return -1; // '~'
  if (c === 0) return 0; // end of string (NaN from charCodeAt is mapped to 0 by the caller)
  // C's `char` is signed on the platforms dpkg ships for: bytes ≥ 0x80 become negative, and
  // `c + 256` brings them back to their byte value, below ASCII punctuation (c + 256 ≥ 289).
  return c >= 128 ? c : c + 256;
}

/** dpkg's `verrevcmp` on one part (upstream or revision). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    let firstDiff = 0;
    while ((i < la && !isDigit(a.charCodeAt(i))) || (j < lb && !isDigit(b.charCodeAt(j)))) {
      const ac = i < la ? order(a.charCodeAt(i)) : 0;
      const bc = j < lb ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    while (i < la && a.charCodeAt(i) === 48) i++;
    while (j < lb && b.charCodeAt(j) === 48) j++;
    while (i < la && j < lb && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < la && isDigit(a.charCodeAt(i))) return 1;
    if (j < lb && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff) return sign(firstDiff);
  }
  return 0;
}

export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.blank || b.blank) return a.blank && b.blank ? 0 : a.blank ? -1 : 1;
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** Canonical text: the epoch only when non-zero (or needed), the revision only when non-empty. */
export function formatDpkg(v: DpkgVersion): string {
  if (v.blank) return '';
  const bytesToText = (s: string): string => (isAscii(s) ? s : Buffer.from(s, 'latin1').toString('utf8'));
  // A colon in the upstream part needs an explicit epoch, or it would be read as one.
  const epoch = v.epoch || v.upstream.includes(':') || v.revision.includes(':') ? `${v.epoch}:` : '';
  return `${epoch}${bytesToText(v.upstream)}${v.revision ? `-${bytesToText(v.revision)}` : ''}`;
}

const cache = new ParseCache<DpkgVersion>();

export const dpkgScheme: VersionScheme = {
  id: 'dpkg',
  isValid(version) {
    try {
      cache.get(version, parseDpkg);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    if (a === b) {
      cache.get(a, parseDpkg);
      return 0;
    }
    return compareDpkgVersions(cache.get(a, parseDpkg), cache.get(b, parseDpkg));
  },
};
