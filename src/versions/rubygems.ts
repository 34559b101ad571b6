/**
 * RubyGems versions (`Gem::Version#<=>`), used for RubyGems.
 *
 * Valid: digits, then `.`-separated alphanumeric parts, optionally a `-` suffix of alphanumeric
 * parts (`1.0.0-rc1`, which RubyGems rewrites to `1.0.0.pre.rc1`); surrounding whitespace is
 * ignored and the empty string means `0`. The version splits into runs of digits (numbers) and
 * letters (strings). Trailing zeros are dropped from the numeric head and from the part after the
 * first string (`1.0 = 1`, `1.0.a.0 = 1.a`). Then segments compare left to right, a missing one
 * counting as 0; a string sorts before a number (`1.0.a < 1.0 < 1.0.0.1`, `1.a < 1.0.1`), strings
 * compare bytewise (`1.a < 1.b`, `1.B < 1.a`), so any version containing a letter is a
 * pre-release (`1.0.b1 < 1.0`). Examples: `3.10 > 3.2`, `1.0.a10 > 1.0.a9`, `1.0.a2 = 1.0.a.2`.
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits, compareStrings } from './util.ts';

/** Canonical segments: digit runs as strings of digits without leading zeros, letter runs tagged. */
export type GemSegment = { num: string } | { str: string };

// Gem::Version::ANCHORED_VERSION_PATTERN; Ruby's \s is ASCII whitespace.
const GEM = /^[ \t\r\n\f\v]*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?[ \t\r\n\f\v]*$/;

export function parseGem(input: string): GemSegment[] {
  const m = GEM.exec(input);
  if (!m) throw new InvalidVersionError('rubygems', input, 'malformed version number string');
  const text = (m[1] ?? '0').replace(/-/g, '.pre.');
  const segments: GemSegment[] = [];
  for (const run of text.match(/[0-9]+|[a-z]+/gi) ?? []) {
    const c = run.charCodeAt(0);
    segments.push(c >= 48 && c <= 57 ? { num: run.replace(/^0+(?=.)/, '') } : { str: run });
  }
  return canonical(segments);
}

function isZero(s: GemSegment): boolean {
  return 'num' in s && s.num === '0';
}

function canonical(segments: GemSegment[]): GemSegment[] {
  const firstString = segments.findIndex((s) => 'str' in s);
  const head = firstString < 0 ? segments : segments.slice(0, firstString);
  const tail = firstString < 0 ? [] : segments.slice(firstString);
  const trim = (list: GemSegment[]): GemSegment[] => {
    let end = list.length;
    while (end > 0 && isZero(list[end - 1] as GemSegment)) end--;
    return list.slice(0, end);
  };
  return [...trim(head), ...trim(tail)];
}

const ZERO: GemSegment = { num: '0' };

export function compareGemSegments(a: readonly GemSegment[], b: readonly GemSegment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i] ?? ZERO;
    const r = b[i] ?? ZERO;
    if ('num' in l) {
      if ('num' in r) {
        const c = compareDigits(l.num, r.num);
        if (c) return c;
      } else return 1;
    } else if ('num' in r) return -1;
    else {
      const c = compareStrings(l.str, r.str);
      if (c) return c;
    }
  }
  return 0;
}

/** Canonical text (`Gem::Version#canonical_segments.join('.')`, with a leading `0.` when that starts with letters). */
export function formatGem(segments: readonly GemSegment[]): string {
  const text = segments.map((s) => ('num' in s ? s.num : s.str)).join('.');
  // A version must start with a digit; a leading 0 is trimmed again when parsed.
  return text === '' ? '0' : 'str' in (segments[0] as GemSegment) ? `0.${text}` : text;
}

const cache = new ParseCache<GemSegment[]>();

export const rubygemsScheme: VersionScheme = {
  id: 'rubygems',
  isValid(version) {
    try {
      cache.get(version, parseGem);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return compareGemSegments(cache.get(a, parseGem), cache.get(b, parseGem));
  },
};
