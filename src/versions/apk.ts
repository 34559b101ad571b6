/**
 * Alpine package versions (apk-tools' `version.c`, the tokenizer `apk version -t A B` used when
 * the OSV oracle vectors were generated), used by Alpine, Wolfi, Chainguard and MinimOS.
 *
 * Grammar (Gentoo style): `digits{.digits}[letter]{_suffix[digits]}[-rdigits]`. Tokens compare in
 * order: numbers numerically; a `.` component with leading zeros counts as minus its number of
 * zeros, so `1.01 < 1.1` and `1.001 < 1.01`; a single lowercase letter after the numbers
 * (`1.2a < 1.2b`; a letter may be followed by more numbers, `6.6.2p1 < 6.6.2p2`); suffixes
 * `_alpha < _beta < _pre < _rc` < no suffix < `_cvs < _svn < _git < _hg < _p`, each with an
 * optional number; then the `-rN` revision. When one version runs out first it is older, unless
 * the other continues with a pre-release suffix:
 * `1.2_rc1 < 1.2 < 1.2-r1 < 1.2_p1 < 1.2a < 1.2.1` (an earlier kind of token is the bigger change),
 * `1.2-r1 = 1.2-r01`, `6.6.2p1 > 6.6.2_p2`.
 *
 * `apk version -t` compares any string, also ones apk would refuse to install (`1.2_blah`, `1.2A`):
 * comparison stops at the first token outside the grammar. Two deliberate departures from apk
 * 2.x's C code, matching current apk and the OSV vectors: numbers do not overflow a C int
 * (`_pre20191002222144 < _pre20210530193627`), and a continuation outside the grammar sorts below
 * a valid continuation of the same place (`1.2.0A < 1.2.0d`, `1-r-1 < 1-r0`). So `isValid`
 * accepts every non-empty string without NUL; `isStrictApkVersion` is apk's own validator
 * (`apk_version_validate`) for callers that need to know whether a package could carry it.
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache } from './util.ts';

const enum T {
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
  /** apk numbers this -1; it sorts above End here (see the module comment). */
  Invalid = 7,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

/** One token: its value and the token type that follows it. */
export interface ApkToken {
  value: number | bigint;
  next: T;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}

interface Cursor {
  s: string;
  pos: number;
  type: T;
}

/** apk's next_token: the type of the token starting at the cursor (consuming its separator). */
function nextToken(cur: Cursor): void {
  const { s } = cur;
  const type = cur.type;
  const c = cur.pos < s.length ? s.charCodeAt(cur.pos) : 0;
  let n: T | -1 = -1;
  if (cur.pos >= s.length || c === 0) n = T.End;
  else if ((type === T.Digit || type === T.DigitOrZero) && isLower(c)) n = T.Letter;
  else if (type === T.Letter && isDigit(c)) n = T.Digit;
  else if (type === T.Suffix && isDigit(c)) n = T.SuffixNo;
  else {
    if (c === 46) n = T.DigitOrZero;
    else if (c === 95) n = T.Suffix;
    else if (c === 45 && s.length - cur.pos > 1 && s.charCodeAt(cur.pos + 1) === 114) {
      n = T.RevisionNo;
      cur.pos++;
    }
    cur.pos++;
  }
  if (n !== -1 && n < type) {
    const allowed = (n === T.DigitOrZero && type === T.Digit) || (n === T.Suffix && type === T.SuffixNo) || (n === T.Digit && type === T.Letter);
    if (!allowed) n = -1;
  }
  cur.type = n === -1 ? T.Invalid : n;
}

function readNumber(cur: Cursor): number | bigint {
  const { s } = cur;
  const start = cur.pos;
  while (cur.pos < s.length && isDigit(s.charCodeAt(cur.pos))) cur.pos++;
  const len = cur.pos - start;
  if (len === 0) return 0;
  return len <= 15 ? Number(s.slice(start, cur.pos)) : BigInt(s.slice(start, cur.pos));
}

function suffixAt(s: string, pos: number, words: readonly string[]): number {
  for (let k = 0; k < words.length; k++) if (s.startsWith(words[k] as string, pos)) return k;
  return -1;
}

/**
 * Tokenizes like apk's get_token/next_token. Each side's tokens depend only on its own text, so a
 * version is tokenized once (and cached) and comparison walks two arrays.
 */
export function tokenizeApk(s: string): ApkToken[] {
  const out: ApkToken[] = [];
  const cur: Cursor = { s, pos: 0, type: T.Digit };
  for (;;) {
    if (cur.pos >= s.length) {
      out.push({ value: 0, next: T.End });
      return out;
    }
    let value: number | bigint = 0;
    let forced = false;
    switch (cur.type) {
      case T.DigitOrZero:
        if (s.charCodeAt(cur.pos) === 48) {
          const start = cur.pos;
          while (cur.pos < s.length && s.charCodeAt(cur.pos) === 48) cur.pos++;
          value = start - cur.pos;
          forced = true;
        } else value = readNumber(cur);
        break;
      case T.Digit:
      case T.SuffixNo:
      case T.RevisionNo:
        value = readNumber(cur);
        break;
      case T.Letter:
        value = s.charCodeAt(cur.pos);
        cur.pos++;
        break;
      case T.Suffix: {
        const pre = suffixAt(s, cur.pos, PRE_SUFFIXES);
        const post = pre >= 0 ? -1 : suffixAt(s, cur.pos, POST_SUFFIXES);
        if (pre >= 0) {
          value = pre - PRE_SUFFIXES.length;
          cur.pos += (PRE_SUFFIXES[pre] as string).length;
        } else if (post >= 0) {
          value = post;
          cur.pos += (POST_SUFFIXES[post] as string).length;
        } else {
          out.push({ value: -1, next: T.Invalid });
          return out;
        }
        break;
      }
      default:
        out.push({ value: -1, next: T.Invalid });
        return out;
    }
    // After leading zeros apk continues as a plain digit run (`nt`), without looking at the next character.
    if (cur.pos >= s.length) cur.type = T.End;
    else if (forced) cur.type = T.Digit;
    else nextToken(cur);
    const following: T = cur.type;
    out.push({ value, next: following });
    if (following >= T.End) return out;
  }
}

function lt(a: number | bigint, b: number | bigint): boolean {
  return a < b;
}

/** apk's `apk_version_compare` over pre-tokenized versions, returning -1, 0 or 1. */
export function compareApkTokens(a: readonly ApkToken[], b: readonly ApkToken[]): number {
  let at = T.Digit as T;
  let bt = T.Digit as T;
  let av: number | bigint = 0;
  let bv: number | bigint = 0;
  let i = 0;
  while (at === bt && at !== T.End && at !== T.Invalid && !lt(av, bv) && !lt(bv, av)) {
    const ta = a[i] as ApkToken;
    const tb = b[i] as ApkToken;
    av = ta.value;
    at = ta.next;
    bv = tb.value;
    bt = tb.next;
    i++;
  }
  if (lt(av, bv)) return -1;
  if (lt(bv, av)) return 1;
  if (at === bt) return 0;
  // Same leading tokens: the longer version is newer unless it continues with a pre-release suffix.
  if (at === T.Suffix && lt((a[i] as ApkToken).value, 0)) return -1;
  if (bt === T.Suffix && lt((b[i] as ApkToken).value, 0)) return 1;
  return at > bt ? -1 : 1;
}

/**
 * apk's `apk_version_validate`: whether apk would accept this as a package version. Like current
 * apk (and unlike 2.x's tokenizer, which let `a` through) the version must start with a digit.
 */
export function isStrictApkVersion(version: string): boolean {
  const first = version.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false;
  const tokens = tokenizeApk(version);
  return tokens[tokens.length - 1]?.next === T.End;
}

function parseApk(version: string): ApkToken[] {
  if (version.length === 0) throw new InvalidVersionError('apk', version, 'empty version');
  if (version.indexOf('\0') >= 0) throw new InvalidVersionError('apk', version, 'contains NUL');
  return tokenizeApk(version);
}

const cache = new ParseCache<ApkToken[]>();

export const apkScheme: VersionScheme = {
  id: 'apk',
  isValid(version) {
    return version.length > 0 && version.indexOf('\0') < 0;
  },
  compare(a, b) {
    return compareApkTokens(cache.get(a, parseApk), cache.get(b, parseApk));
  },
};
