/**
 * Symlink resolution inside an image's final filesystem (metadata only), for `image files
 * --resolve` and analyzers that must follow links (e.g. /etc/os-release → ../usr/lib/os-release).
 * Absolute targets are relative to the image root, `..` never climbs above it (as chroot), and a
 * chain of more than MAX_SYMLINK_HOPS links is a loop (Linux's ELOOP limit is 40).
 */
import type { FileMeta } from '../types.ts';

export const MAX_SYMLINK_HOPS = 40;

export type Resolution =
  | { ok: true; path: string; meta: FileMeta | undefined }
  | { ok: false; reason: 'loop' | 'missing' | 'not-a-directory'; at: string };

/** Resolves `path` (image path, no leading slash) through symlinks, component by component. */
export function resolveInTree(lookup: (path: string) => FileMeta | undefined, path: string, maxHops = MAX_SYMLINK_HOPS): Resolution {
  let hops = 0;
  let pending = path.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  while (pending.length) {
    const name = pending.shift() as string;
    if (name === '..') {
      done.pop();
      continue;
    }
    const current = [...done, name].join('/');
    const meta = lookup(current);
    if (meta?.type === 'symlink' && meta.linkname !== undefined) {
      if (++hops > maxHops) return { ok: false, reason: 'loop', at: current };
      const target = meta.linkname.split('/').filter((s) => s !== '' && s !== '.');
      if (meta.linkname.startsWith('/')) done.length = 0;
      pending = [...target, ...pending];
      continue;
    }
    if (pending.length && meta && meta.type !== 'dir') return { ok: false, reason: 'not-a-directory', at: current };
    if (!meta && pending.length) return { ok: false, reason: 'missing', at: current };
    done.push(name);
  }
  const finalPath = done.join('/');
  return { ok: true, path: finalPath, meta: finalPath === '' ? undefined : lookup(finalPath) };
}
