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

/**
 * Tokenizes like apk's get_token/next_token. Each side's tokens depend only on its own text, so a
 * version is tokenized once (and cached) and comparison walks two arrays.
 */
export function tokenizeApk(s: string): ApkToken[] {
  const out: ApkToken[] = [];
  let pos = 0;
  let type = T.Digit as T;
  const remaining = (): number => s.length - pos;
  const at = (k: number): number => s.charCodeAt(pos + k);

  const nextToken = (): void => {
    let n: T | -1 = -1;
    if (remaining() <= 0 || at(0) === 0) n = T.End;
    else if ((type === T.Digit || type === T.DigitOrZero) && isLower(at(0))) n = T.Letter;
    else if (type === T.Letter && isDigit(at(0))) n = T.Digit;
    else if (type === T.Suffix && isDigit(at(0))) n = T.SuffixNo;
    else {
      const c = at(0);
      if (c === 46) n = T.DigitOrZero;
      else if (c === 95) n = T.Suffix;
      else if (c === 45) {
        if (remaining() > 1 && at(1) === 114) {
          n = T.RevisionNo;
          pos++;
        }
      }
      pos++;
    }
    if (n !== -1 && n < type) {
      const allowed = (n === T.DigitOrZero && type === T.Digit) || (n === T.Suffix && type === T.SuffixNo) || (n === T.Digit && type === T.Letter);
      if (!allowed) n = -1;
    }
    type = n === -1 ? T.Invalid : n;
  };

  const readNumber = (): number | bigint => {
    const start = pos;
    while (pos < s.length && isDigit(s.charCodeAt(pos))) pos++;
    const digits = s.slice(start, pos);
    if (digits.length === 0) return 0;
    return digits.length <= 15 ? Number(digits) : BigInt(digits);
  };

  for (;;) {
    if (remaining() <= 0) {
      out.push({ value: 0, next: T.End });
      return out;
    }
    let value: number | bigint = 0;
    let forced: T | null = null;
    switch (type) {
      case T.DigitOrZero:
        if (at(0) === 48) {
          let zeros = 0;
          while (pos < s.length && s.charCodeAt(pos) === 48) {
            zeros++;
            pos++;
          }
          value = -zeros;
          forced = T.Digit;
        } else value = readNumber();
        break;
      case T.Digit:
      case T.SuffixNo:
      case T.RevisionNo:
        value = readNumber();
        break;
      case T.Letter:
        value = at(0);
        pos++;
        break;
      case T.Suffix: {
        const pre = PRE_SUFFIXES.findIndex((w) => s.startsWith(w, pos));
        const post = pre >= 0 ? -1 : POST_SUFFIXES.findIndex((w) => s.startsWith(w, pos));
        if (pre >= 0) {
          value = pre - PRE_SUFFIXES.length;
          pos += (PRE_SUFFIXES[pre] as string).length;
        } else if (post >= 0) {
          value = post;
          pos += (POST_SUFFIXES[post] as string).length;
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
    if (remaining() === 0) type = T.End;
    else if (forced !== null) type = forced;
    else nextToken();
    const following: T = type;
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
