/**
 * NuGet package versions (`NuGet.Versioning.NuGetVersion` with `VersionComparer.Default`).
 *
 * Form: 1 to 4 numeric parts (`Major[.Minor[.Patch[.Revision]]]`, each 0..2^31-1, leading zeros
 * allowed), optional `-release.labels`, optional `+metadata`. Missing parts are 0, so
 * `1.0 = 1.0.0 = 1.0.0.0` and `1.0.01 = 1.0.1`. A pre-release sorts before its release; labels
 * compare left to right, numeric ones numerically and below alphanumeric ones, alphanumeric ones
 * case-insensitively (`1.0.0-BETA = 1.0.0-beta`, `1.0.0-beta2 > 1.0.0-beta`), a shorter list first.
 * A label is numeric when it fits an Int32 (`int.TryParse`); a longer digit string compares as text.
 * Metadata is ignored (`1.0.0+a = 1.0.0`).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

export interface NuGetVersion {
  parts: [number, number, number, number];
  /** Release labels as written; empty for a release. */
  release: string[];
  metadata: string;
}

const NUGET = /^([0-9]+(?:\.[0-9]+){0,3})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
const INT32_MAX = 2147483647;

export function parseNuGet(input: string): NuGetVersion {
  const m = NUGET.exec(input);
  if (!m) throw new InvalidVersionError('nuget', input, 'not a NuGet version (1-4 numeric parts, optional -label and +metadata)');
  const parts: [number, number, number, number] = [0, 0, 0, 0];
  (m[1] as string).split('.').forEach((p, i) => {
    if (compareDigits(p, String(INT32_MAX)) > 0) throw new InvalidVersionError('nuget', input, `part ${p} exceeds 2147483647`);
    parts[i] = Number(p);
  });
  const release = m[2] === undefined ? [] : m[2].split('.');
  for (const label of release) {
    // SemVer 2.0, which NuGet enforces for labels: no leading zeros in a numeric label.
    if (label.length > 1 && label.charCodeAt(0) === 48 && /^[0-9]+$/.test(label)) {
      throw new InvalidVersionError('nuget', input, `numeric label ${label} has a leading zero`);
    }
  }
  return { parts, release, metadata: m[3] ?? '' };
}

/** NuGet's `int.TryParse(label)`: a label is numeric only when it fits an Int32 (`-1` included). */
function numericLabel(s: string): number | null {
  if (!/^-?[0-9]+$/.test(s)) return null;
  const n = Number(s);
  return n >= -2147483648 && n <= INT32_MAX ? n : null;
}

function compareLabels(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xn = numericLabel(x);
    const yn = numericLabel(y);
    let r: number;
    if (xn !== null && yn !== null) r = Math.sign(xn - yn);
    else if (xn !== null || yn !== null) r = xn !== null ? -1 : 1;
    else {
      // OrdinalIgnoreCase compares upper-cased code units.
      const xu = x.toUpperCase();
      const yu = y.toUpperCase();
      r = xu < yu ? -1 : xu > yu ? 1 : 0;
    }
    if (r) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const d = a.parts[i]! - b.parts[i]!;
    if (d) return d < 0 ? -1 : 1;
  }
  return compareLabels(a.release, b.release);
}

/** Normalized form as NuGet prints it: at least three parts, the fourth only when non-zero; labels as written. */
export function formatNuGet(v: NuGetVersion): string {
  const [ma, mi, pa, re] = v.parts;
  return `${ma}.${mi}.${pa}${re ? `.${re}` : ''}${v.release.length ? `-${v.release.join('.')}` : ''}`;
}

const cache = new ParseCache<NuGetVersion>();

export const nugetScheme: VersionScheme = {
  id: 'nuget',
  isValid(version) {
    try {
      cache.get(version, parseNuGet);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return compareNuGetVersions(cache.get(a, parseNuGet), cache.get(b, parseNuGet));
  },
};
