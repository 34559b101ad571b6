/**
 * Python package versions (PEP 440, as `packaging.version.Version` ≥ 22 implements it), used for PyPI.
 *
 * Form: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, case-insensitive, with the spellings PEP
 * 440 normalises: a leading `v`, surrounding whitespace, `-`/`_`/`.` separators before
 * pre/post/dev, `alpha`/`beta`/`c`/`pre`/`preview` for `a`/`b`/`rc`, `rev`/`r` for `post`, an
 * implicit number 0 (`1.0a` = `1.0a0`, `1.0.post` = `1.0.post0`) and `1.0-1` for `1.0.post1`.
 * Anything else is invalid (packaging dropped `LegacyVersion` in 22.0).
 *
 * Ordering: epoch, then the release numbers with trailing zeros ignored (`1.0 = 1.0.0`), then
 * `dev` releases of a plain release first (`1.0.dev1 < 1.0a1`), pre-releases `a < b < rc`, the
 * release, post-releases (`1.0 < 1.0.post1`; `1.0.post1.dev1 < 1.0.post1`), and finally the local
 * label: absent sorts first (`1.0 < 1.0+local`), then segment by segment, numeric segments above
 * alphanumeric ones and alphanumeric ones in ASCII order (`1.0+abc < 1.0+abd < 1.0+1`), a longer
 * label winning a tie on its prefix (`1.0+a < 1.0+a.1`).
 */
import { InvalidVersionError, type VersionScheme } from './types.ts';
import { ParseCache, compareDigits } from './util.ts';

export interface Pep440Version {
  epoch: string;
  release: string[];
  pre: { label: 'a' | 'b' | 'rc'; n: string } | null;
  post: string | null;
  dev: string | null;
  local: string[] | null;
}

// Python's `\s` on str (str.isspace()), which differs from JS's `\s` (\x1c-\x1f yes, \ufeff no).
const PY_SPACE = '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';

// packaging's VERSION_PATTERN, anchored. Its body is ASCII-only `(?a:...)`, so case-insensitive
// matching must not fold non-ASCII letters: JS's `i` flag without `u` behaves that way.
const PEP440 = new RegExp(
  `^${PY_SPACE}*v?` + '(?:(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)' +
    '([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?' +
    '((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?' +
    '([-_.]?(dev)[-_.]?([0-9]+)?)?)' +
    '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?' + `${PY_SPACE}*$`,
  'i',
);

function stripZeros(n: string): string {
  let i = 0;
  while (i < n.length - 1 && n.charCodeAt(i) === 48) i++;
  return i ? n.slice(i) : n;
}

export function parsePep440(input: string): Pep440Version {
  const m = PEP440.exec(input);
  if (!m) throw new InvalidVersionError('pep440', input, 'not a PEP 440 version');
  const preLabel = m[4]?.toLowerCase();
  let pre: Pep440Version['pre'] = null;
  if (preLabel !== undefined) {
    const label = preLabel === 'alpha' || preLabel === 'a' ? 'a' : preLabel === 'beta' || preLabel === 'b' ? 'b' : 'rc';
    pre = { label, n: stripZeros(m[5] ?? '0') };
  }
  let post: string | null = null;
  if (m[7] !== undefined) post = stripZeros(m[7]);
  else if (m[8] !== undefined) post = stripZeros(m[9] ?? '0');
  const dev = m[11] !== undefined ? stripZeros(m[12] ?? '0') : null;
  const local = m[13] === undefined ? null : m[13].toLowerCase().split(/[-_.]/);
  return {
    epoch: stripZeros(m[1] ?? '0'),
    release: (m[2] as string).split('.').map(stripZeros),
    pre,
    post,
    dev,
    local: local?.map((p) => (isAllDigits(p) ? stripZeros(p) : p)) ?? null,
  };
}

function isAllDigits(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

/** The normalised string packaging prints (`str(Version(...))`): `v1.0-RC1` → `1.0rc1`. */
export function formatPep440(v: Pep440Version): string {
  let s = v.epoch !== '0' ? `${v.epoch}!` : '';
  s += v.release.join('.');
  if (v.pre) s += `${v.pre.label}${v.pre.n}`;
  if (v.post !== null) s += `.post${v.post}`;
  if (v.dev !== null) s += `.dev${v.dev}`;
  if (v.local) s += `+${v.local.join('.')}`;
  return s;
}

function compareRelease(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const r = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (r) return r;
  }
  return 0;
}

/** packaging's `_cmpkey` pre-release slot: -inf for a bare dev release, +inf for none, else (label, n). */
function preKey(v: Pep440Version): number {
  if (v.pre === null && v.post === null && v.dev !== null) return -1;
  if (v.pre === null) return 1;
  return 0;
}

const LABEL_RANK = { a: 0, b: 1, rc: 2 } as const;

function compareLocal(a: readonly string[] | null, b: readonly string[] | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xn = isAllDigits(x);
    const yn = isAllDigits(y);
    let r: number;
    if (xn && yn) r = compareDigits(x, y);
    else if (xn !== yn) r = xn ? 1 : -1;
    else r = x < y ? -1 : x > y ? 1 : 0;
    if (r) return r;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function comparePep440Versions(a: Pep440Version, b: Pep440Version): number {
  let r = compareDigits(a.epoch, b.epoch) || compareRelease(a.release, b.release);
  if (r) return r;
  const pa = preKey(a);
  const pb = preKey(b);
  if (pa !== pb) return pa < pb ? -1 : 1;
  if (pa === 0 && a.pre && b.pre) {
    r = LABEL_RANK[a.pre.label] - LABEL_RANK[b.pre.label] || compareDigits(a.pre.n, b.pre.n);
    if (r) return r < 0 ? -1 : 1;
  }
  // post: absent is -inf
  if (a.post === null || b.post === null) {
    if (a.post !== b.post) return a.post === null ? -1 : 1;
  } else {
    r = compareDigits(a.post, b.post);
    if (r) return r;
  }
  // dev: absent is +inf
  if (a.dev === null || b.dev === null) {
    if (a.dev !== b.dev) return a.dev === null ? 1 : -1;
  } else {
    r = compareDigits(a.dev, b.dev);
    if (r) return r;
  }
  return compareLocal(a.local, b.local);
}

const cache = new ParseCache<Pep440Version>();

export const pep440Scheme: VersionScheme = {
  id: 'pep440',
  isValid(version) {
    try {
      cache.get(version, parsePep440);
      return true;
    } catch {
      return false;
    }
  },
  compare(a, b) {
    return comparePep440Versions(cache.get(a, parsePep440), cache.get(b, parsePep440));
  },
};
