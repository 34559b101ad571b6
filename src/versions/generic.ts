/**
 * Fallback for ecosystems without a known scheme (confidence 'low'): a best-effort order that is
 * right for the common `1.2.3`, `1.2.3-rc1`, `v2.0` shapes and total on every other string.
 *
 * A leading `v`/`V` is dropped and anything after `+` (build metadata) is ignored. The rest splits
 * into runs of digits and runs of letters; every other character only separates. Runs compare left
 * to right: numbers numerically, letters case-insensitively, and a number is newer than letters
 * (`1.0 > 1.a`). When one version runs out: if the other continues with letters it is a
 * pre-release and older (`1.0-rc1 < 1.0`), with a number it is newer (`1.0 < 1.0.1`), and trailing
 * zeros are insignificant (`1.0 = 1.0.0`). Examples: `1.9 < 1.10`, `2.0beta < 2.0`, `v1.2 = 1.2`.
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

type Run = { num: string } | { str: string };
const ZERO: Run = { num: '0' };

export function parseGeneric(input: string): Run[] {
  if (input.trim().length === 0) throw new InvalidVersionError('generic', input, 'empty version');
  let text = input.trim();
  if (/^[vV][0-9]/.test(text)) text = text.slice(1);
  const plus = text.indexOf('+');
  if (plus > 0) text = text.slice(0, plus);
  const runs: Run[] = [];
  for (const run of text.match(/[0-9]+|[A-Za-z]+/g) ?? []) {
    const c = run.charCodeAt(0);
    runs.push(c >= 48 && c <= 57 ? { num: run.replace(/^0+(?=.)/, '') } : { str: run.toLowerCase() });
  }
  // Trailing zeros carry no meaning (1.0 = 1).
  while (runs.length > 0) {
    const last = runs[runs.length - 1] as Run;
    if ('num' in last && last.num === '0') runs.pop();
    else break;
  }
  return runs;
}

function compareRuns(a: readonly Run[], b: readonly Run[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    // A missing run counts as 0, which is newer than any letters (a pre-release).
    const l = a[i] ?? ZERO;
    const r = b[i] ?? ZERO;
    if ('num' in l) {
      if (!('num' in r)) return 1;
      const c = compareDigits(l.num, r.num);
      if (c) return c;
    } else {
      if ('num' in r) return -1;
      if (l.str !== r.str) return l.str < r.str ? -1 : 1;
    }
  }
  return 0;
}

const cache = new ParseCache<Run[]>();

export const genericScheme: VersionScheme = {
  id: 'generic',
  isValid(version) {
    return version.trim().length > 0;
  },
  compare(a, b) {
    return compareRuns(cache.get(a, parseGeneric), cache.get(b, parseGeneric));
  },
};
