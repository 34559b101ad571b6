/**
 * RPM versions (`rpmvercmp` and `rpm.labelCompare`), used by Red Hat, Fedora, CentOS, Rocky,
 * AlmaLinux, Oracle, Amazon Linux, SUSE/openSUSE, Mariner/Azure Linux, Photon OS, openEuler, Mageia.
 *
 * Form: `[epoch:]version[-release]`. The epoch is recognised only when the string starts with
 * digits followed by `:` (so `a:1` is a plain version) and an empty epoch means 0; the release is
 * what follows the last `-`. Epoch (missing = 0), version and release are compared in turn with
 * `rpmvercmp`; a missing release sorts before any release, even an empty one (`1 < 1-`), as
 * `labelCompare` does.
 *
 * `rpmvercmp`: characters other than ASCII letters, digits, `~` and `^` only separate segments;
 * `~` sorts before everything including the end (`1.0~rc1 < 1.0`); `^` sorts after the end but
 * before any further segment (`1.0 < 1.0^git1 < 1.0.1`); digit segments compare numerically and
 * beat letter segments (`1.0 > 1.a`); letter segments compare with strcmp (`1.A < 1.a`); when all
 * segments match, the string with segments left over is newer, and separators alone never matter
 * (`1.0 = 1_0`, `1-1. = 1-1`).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

export interface RpmVersion {
  epoch: string;
  version: string;
  /** null when the string has no `-`: sorts before every release. */
  release: string | null;
}

export function parseRpm(input: string): RpmVersion {
  if (input.length === 0) throw new InvalidVersionError('rpm', input, 'empty version');
  if (input.indexOf('\0') >= 0) throw new InvalidVersionError('rpm', input, 'contains NUL');
  let s = 0;
  while (s < input.length && isDigit(input.charCodeAt(s))) s++;
  let epoch = '0';
  let versionStart = 0;
  if (input.charCodeAt(s) === 58 /* : */) {
    epoch = s === 0 ? '0' : input.slice(0, s);
    versionStart = s + 1;
  }
  // rpm looks for the last '-' after the epoch digits (not after the colon).
  const hyphen = input.lastIndexOf('-');
  if (hyphen >= s) {
    return { epoch, version: input.slice(versionStart, hyphen), release: input.slice(hyphen + 1) };
  }
  return { epoch, version: input.slice(versionStart), release: null };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** rpm's `rpmvercmp` segment comparison. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la || j < lb) {
    while (i < la && !isSegmentStart(a.charCodeAt(i))) i++;
    while (j < lb && !isSegmentStart(b.charCodeAt(j))) j++;
    const ca = i < la ? a.charCodeAt(i) : 0;
    const cb = j < lb ? b.charCodeAt(j) : 0;
    if (ca === 126 || cb === 126) {
      if (ca !== 126) return 1;
      if (cb !== 126) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === 94 || cb === 94) {
      if (i >= la) return -1;
      if (j >= lb) return 1;
      if (ca !== 94) return 1;
      if (cb !== 94) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < la && j < lb)) break;
    const numeric = isDigit(ca);
    const matches = numeric ? isDigit : isAlpha;
    let ei = i;
    while (ei < la && matches(a.charCodeAt(ei))) ei++;
    let ej = j;
    while (ej < lb && matches(b.charCodeAt(ej))) ej++;
    // b has a segment of the other kind here: numbers are newer than letters.
    if (ej === j) return numeric ? 1 : -1;
    const sa = a.slice(i, ei);
    const sb = b.slice(j, ej);
    const rc = numeric ? compareDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (rc) return rc;
    i = ei;
    j = ej;
  }
  if (i >= la && j >= lb) return 0;
  return i >= la ? -1 : 1;
}

function isSegmentStart(c: number): boolean {
  return isDigit(c) || isAlpha(c) || c === 126 || c === 94;
}

export function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  const e = rpmvercmp(a.epoch, b.epoch);
  if (e) return e;
  const v = rpmvercmp(a.version, b.version);
  if (v) return v;
  if (a.release === null || b.release === null) {
    return a.release === b.release ? 0 : a.release === null ? -1 : 1;
  }
  return rpmvercmp(a.release, b.release);
}

const cache = new ParseCache<RpmVersion>();

export const rpmScheme: VersionScheme = {
  id: 'rpm',
  isValid(version) {
    try {
      cache.get(version, parseRpm);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    if (a === b) {
      cache.get(a, parseRpm);
      return 0;
    }
    return compareRpmVersions(cache.get(a, parseRpm), cache.get(b, parseRpm));
  },
};
