/**
 * Maven versions (`org.apache.maven.artifact.versioning.ComparableVersion`, checked against the
 * maven-artifact 3.8 jar installed here), used for Maven.
 *
 * The version is lower-cased and split into items at `.` and `-` and at every switch between
 * digits and letters; a `-`, a digit/letter switch and a qualifier that follows other items
 * (`1.0.alpha` = `1.0-alpha`) open a nested list. Number items compare
 * numerically; string items compare as qualifiers: `alpha < beta < milestone < rc = cr <
 * snapshot < "" = ga = final = release < sp`, and unknown qualifiers after all of these,
 * alphabetically (`1-sp < 1-abc`). A letter directly followed by a digit is shorthand:
 * `1a1 = 1-alpha-1`, `1b2 = 1-beta-2`, `1m3 = 1-milestone-3`. Trailing "null" items (0, "",
 * ga/final/release) are trimmed, so `1 = 1.0 = 1.0.0 = 1-ga = 1.0-final`. When one list runs out,
 * the other's next item is compared against "null": numbers above 0 win, qualifiers before
 * release lose (`1-rc < 1`), after it win (`1 < 1-sp`); a number beats a qualifier and a list
 * (`1.1 > 1-sp`, `1.1 > 1-1`), a list beats a qualifier (`1-1 > 1-sp`).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

export type MavenItem =
  | { kind: 'int'; digits: string }
  | { kind: 'string'; value: string }
  | { kind: 'list'; items: MavenItem[] };

const MAX_DEPTH = 1000;
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

/** ComparableVersion's `comparableQualifier`: known qualifiers by rank, unknown ones after, by text. */
function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function stringItem(value: string, followedByDigit: boolean): MavenItem {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  v = ALIASES[v] ?? v;
  return { kind: 'string', value: comparableQualifier(v) };
}

// Java's Character.isDigit accepts every Unicode decimal digit; BigInteger parses them too.
const UNICODE_DIGIT = /\p{Nd}/u;

function isDigitChar(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 128) return code >= 48 && code <= 57;
  // One UTF-16 unit, as Java's Character.isDigit(char): digits outside the BMP are letters to Maven.
  return code < 0xd800 || code > 0xdfff ? UNICODE_DIGIT.test(c) : false;
}

function toAsciiDigits(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (code >= 48 && code <= 57) out += ch;
    else {
      // Unicode Nd blocks are runs of ten consecutive code points starting at a zero.
      const cp = ch.codePointAt(0) as number;
      let zero = cp;
      while (zero > 0 && UNICODE_DIGIT.test(String.fromCodePoint(zero - 1)) && cp - zero < 9) zero--;
      out += String(cp - zero);
    }
  }
  return out;
}

function parseItem(isDigit: boolean, buf: string): MavenItem {
  if (isDigit) return { kind: 'int', digits: stripLeadingZeros(toAsciiDigits(buf)) };
  return stringItem(buf, false);
}

function stripLeadingZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

function isNullItem(item: MavenItem): boolean {
  if (item.kind === 'int') return item.digits === '0';
  if (item.kind === 'string') return item.value === RELEASE_INDEX;
  return item.items.length === 0;
}

function normalize(list: MavenItem[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i] as MavenItem;
    if (isNullItem(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

/**
 * Parses like ComparableVersion's `parseVersion`; every string is a Maven version (`""` equals `0`)
 * except (a guard of ours) one nesting more than 1,000 levels (`1-1-1-…`).
 */
export function parseMaven(input: string): MavenItem {
  const version = input.toLowerCase();
  const root: MavenItem[] = [];
  let list = root;
  const stack: MavenItem[][] = [root];
  let isDigit = false;
  let start = 0;
  // Java walks UTF-16 units (`charAt`), and so does this loop.
  let pos = 0;
  const text = (from: number, to: number): string => version.slice(from, to);
  const openList = (): void => {
    // Comparison recurses per level; Java's deeper stack copes with more, but no real version
    // nests even dozens of levels, so past this bound the string is refused instead of crashing.
    if (stack.length >= MAX_DEPTH) throw new InvalidVersionError('maven', input, `nests more than ${MAX_DEPTH} levels`);
    const child: MavenItem[] = [];
    list.push({ kind: 'list', items: child });
    list = child;
    stack.push(child);
  };
  for (pos = 0; pos < version.length; pos++) {
    const c = version[pos] as string;
    if (c === '.') {
      list.push(pos === start ? { kind: 'int', digits: '0' } : parseItem(isDigit, text(start, pos)));
      start = pos + 1;
    } else if (c === '-') {
      list.push(pos === start ? { kind: 'int', digits: '0' } : parseItem(isDigit, text(start, pos)));
      start = pos + 1;
      openList();
    } else if (isDigitChar(c)) {
      if (!isDigit && pos > start) {
        // `1.0.0.X1 < 1.0.0-X2`: a qualifier after other items opens its own level, like `-X`.
        if (list.length > 0) openList();
        list.push(stringItem(text(start, pos), true));
        start = pos;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && pos > start) {
        list.push(parseItem(true, text(start, pos)));
        start = pos;
        openList();
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    if (!isDigit && list.length > 0) openList(); // a trailing `.X` counts as `-X` too
    list.push(parseItem(isDigit, text(start, version.length)));
  }
  while (stack.length) normalize(stack.pop() as MavenItem[]);
  return { kind: 'list', items: root };
}

/** `item.compareTo(other)` with `other` possibly null (a list ran out). */
function compareItem(item: MavenItem, other: MavenItem | undefined): number {
  switch (item.kind) {
    case 'int':
      if (other === undefined) return item.digits === '0' ? 0 : 1;
      if (other.kind === 'int') return compareDigits(item.digits, other.digits);
      return 1;
    case 'string':
      if (other === undefined) return cmp(item.value, RELEASE_INDEX);
      if (other.kind === 'int' || other.kind === 'list') return -1;
      return cmp(item.value, other.value);
    case 'list': {
      if (other === undefined) {
        // The whole list against "nothing", not just its first item (MNG-6964): `1-0.1 > 1`.
        for (const child of item.items) {
          const r = compareItem(child, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (other.kind === 'int') return -1;
      if (other.kind === 'string') return 1;
      const n = Math.max(item.items.length, other.items.length);
      for (let i = 0; i < n; i++) {
        const l = item.items[i];
        const r = other.items[i];
        const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, l)) : compareItem(l, r);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareMavenItems(a: MavenItem, b: MavenItem): number {
  return compareItem(a, b);
}

/**
 * ComparableVersion's canonical form (`getCanonical()`), e.g. `1.0-SNAPSHOT` → `1-snapshot`, made
 * to parse back to an equal version where Maven's is lossy: an empty version is written `0`, a
 * release qualifier inside the version `ga`, and a list that opens a list `0-`.
 */
export function formatMaven(item: MavenItem): string {
  const text = canonical(item, true);
  return text === '' ? '0' : text;
}

function canonical(item: MavenItem, endsText: boolean): string {
  if (item.kind === 'int') return item.digits;
  if (item.kind === 'string') {
    const v = item.value;
    // The release qualifier is written `ga`: Maven writes nothing, which does not parse back.
    if (v === RELEASE_INDEX) return 'ga';
    if (/^[0-9]$/.test(v)) return QUALIFIERS[Number(v)] as string;
    return v.slice(v.indexOf('-') + 1);
  }
  let out = '';
  const last = item.items.length - 1;
  item.items.forEach((child, i) => {
    if (i > 0) out += child.kind === 'list' ? '-' : '.';
    // A list cannot start a list in text; `0-` opens it and normalisation drops the 0 again.
    else if (child.kind === 'list') out += '0-';
    out += canonical(child, endsText && i === last);
    // A qualifier ending the text after other items would be parsed one level deeper (`1.rc` is
    // `1-rc`); a trailing `.` keeps it at this level.
    if (endsText && i === last && i > 0 && child.kind === 'string') out += '.';
  });
  return out;
}

const cache = new ParseCache<MavenItem>();

export const mavenScheme: VersionScheme = {
  id: 'maven',
  isValid(version) {
    try {
      cache.get(version, parseMaven);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return compareItem(cache.get(a, parseMaven), cache.get(b, parseMaven));
  },
};
