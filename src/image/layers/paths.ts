/**
 * Tar entry names → image paths, and the overlay whiteout conventions of the OCI image spec
 * (https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts).
 */

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Lexically normalises an entry name: leading `/` and `./` go (absolute names are relative to the
 * image root, as GNU tar and containerd extract them), `.` segments and repeated slashes collapse,
 * and `a/../b` becomes `b`. A name whose `..` would climb above the root is rejected rather than
 * clamped: such an entry is hostile or broken, and "resolving" it would plant a file somewhere the
 * image never meant to. The root itself (`/`, `./`) normalises to the empty path.
 */
export function normalizeEntryPath(name: string): NormalizedPath {
  if (name.includes('\0')) return { ok: false, reason: 'name contains a NUL byte' };
  const out: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length === 0) return { ok: false, reason: 'path escapes the image root' };
      out.pop();
      continue;
    }
    out.push(segment);
  }
  return { ok: true, path: out.join('/') };
}

export type WhiteoutKind =
  | { kind: 'none' }
  /** `DIR/.wh..wh..opq`: lower layers' contents of DIR are hidden. */
  | { kind: 'opaque'; dir: string }
  /** `DIR/.wh.NAME`: DIR/NAME and its subtree from lower layers are deleted. */
  | { kind: 'whiteout'; target: string }
  /** Other `.wh..wh.*` names are AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): never part of the view. */
  | { kind: 'meta' };

export function classifyWhiteout(path: string): WhiteoutKind {
  const slash = path.lastIndexOf('/');
  const base = slash < 0 ? path : path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  const dir = slash < 0 ? '' : path.slice(0, slash);
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir };
  if (base.startsWith('.wh..wh.')) return { kind: 'meta' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') return { kind: 'meta' };
  return { kind: 'whiteout', target: dir ? `${dir}/${name}` : name };
}

/**
 * Compares strings by their UTF-8 bytes (= code point order), the order `LC_ALL=C sort` and Go's
 * sort.Strings use. UTF-16 code unit order differs only where a surrogate meets U+E000..U+FFFF,
 * so the first differing unit is remapped instead of encoding both strings.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
