/**
 * The overlay of layer changesets into the final filesystem, as the OCI image spec applies them:
 * in layer order, a layer's whiteouts and opaque markers remove content of the layers below it
 * (never of the same layer), then its entries are written. Kept as a tree so that deleting a
 * subtree or making a directory opaque costs O(1), whatever the number of files below it.
 */
import type { FileMeta } from '../types.ts';
import { compareBytes } from './paths.ts';
import { MAX_SYMLINK_HOPS } from './resolve.ts';

/** One layer's changeset, metadata only. Paths are normalised; whiteout entries are already split out. */
export interface LayerChanges {
  layerIndex: number;
  layerDigest: string;
  entries: FileMeta[];
  /** Paths deleted in lower layers (`.wh.NAME` targets). */
  whiteouts: string[];
  /** Directories whose lower-layer contents are hidden (`.wh..wh..opq`). */
  opaqueDirs: string[];
}

interface Node {
  /** Undefined for a directory that exists only because something was written below it. */
  meta: FileMeta | undefined;
  /** Layer that created the implicit directory (for `meta === undefined`). */
  implicitLayer: number;
  implicitDigest: string;
  children: Map<string, Node> | undefined;
}

export class OverlayView {
  private readonly root: Node = { meta: undefined, implicitLayer: 0, implicitDigest: '', children: new Map() };

  apply(layer: LayerChanges): void {
    for (const dir of layer.opaqueDirs) {
      const node = this.lookup(dir);
      if (node?.children) node.children.clear();
    }
    for (const target of layer.whiteouts) this.remove(target);
    for (const entry of layer.entries) this.write(entry, layer);
  }

  /**
   * The directory node that holds the last component of `names`, following symlinks met on the
   * way (chroot-like: absolute targets start at the image root, `..` stops there), as extraction
   * with securejoin (umoci) or containerd's RootPath does: a tar entry `lib/x` under a lower
   * layer's `lib -> usr/lib` lands in `usr/lib/x`. With `create`, missing or non-directory
   * components become directories created by that layer; without, the walk gives up.
   */
  private parentOf(names: string[], create: LayerChanges | undefined, followLinks = true): Node | undefined {
    const stack: Node[] = [this.root];
    let pending = names.slice(0, -1);
    let hops = 0;
    while (pending.length) {
      const name = pending.shift() as string;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const dir = stack[stack.length - 1] as Node;
      let child = dir.children?.get(name);
      if (followLinks && child?.meta?.type === 'symlink' && child.meta.linkname !== undefined && hops < MAX_SYMLINK_HOPS) {
        hops++;
        if (child.meta.linkname.startsWith('/')) stack.length = 1;
        pending = [...child.meta.linkname.split('/'), ...pending];
        continue;
      }
      if (!child || child.children === undefined) {
        // Through a link onto a file, extraction would fail (ENOTDIR); never clobber that file.
        if (!create || (child && hops > 0)) return undefined;
        child = { meta: undefined, implicitLayer: create.layerIndex, implicitDigest: create.layerDigest, children: new Map() };
        (dir.children as Map<string, Node>).set(name, child);
      }
      stack.push(child);
    }
    return stack[stack.length - 1];
  }

  private lookup(path: string): Node | undefined {
    if (path === '') return this.root;
    const names = path.split('/');
    return this.parentOf(names, undefined)?.children?.get(names[names.length - 1] as string);
  }

  private remove(path: string): void {
    if (path === '') return;
    const names = path.split('/');
    this.parentOf(names, undefined)?.children?.delete(names[names.length - 1] as string);
  }

  private write(entry: FileMeta, layer: LayerChanges): void {
    if (entry.path === '') return; // the root entry (`./`) carries nothing we list
    const names = entry.path.split('/');
    // A link that leads onto a file cannot be a parent: then the link itself is replaced by a directory.
    const parent = (this.parentOf(names, layer) ?? this.parentOf(names, layer, false)) as Node;
    const children = parent.children as Map<string, Node>;
    const last = names[names.length - 1] as string;
    const existing = children.get(last);
    if (entry.type === 'dir') {
      // Directory over directory merges (keeps lower contents, takes the new metadata).
      if (existing?.children) { existing.meta = entry; return; }
      children.set(last, { meta: entry, implicitLayer: layer.layerIndex, implicitDigest: layer.layerDigest, children: new Map() });
      return;
    }
    children.set(last, { meta: entry, implicitLayer: layer.layerIndex, implicitDigest: layer.layerDigest, children: undefined });
  }

  /** The entry that finally owns `path`, or undefined if it is absent from the final filesystem. */
  finalEntry(path: string): FileMeta | undefined {
    const node = this.lookup(path);
    return node?.meta;
  }

  /** The entries present in the final filesystem (by identity). */
  survivors(): Set<FileMeta> {
    const out = new Set<FileMeta>();
    const visit = (node: Node): void => {
      if (node.meta) out.add(node.meta);
      if (node.children) for (const child of node.children.values()) visit(child);
    };
    visit(this.root);
    return out;
  }

  /** Every path of the final filesystem, sorted by bytes, parents before children. */
  list(): FileMeta[] {
    const out: FileMeta[] = [];
    const visit = (node: Node, prefix: string): void => {
      if (!node.children) return;
      const names = [...node.children.keys()].sort(compareBytes);
      for (const name of names) {
        const child = node.children.get(name) as Node;
        const path = prefix ? `${prefix}/${name}` : name;
        const meta: FileMeta = child.meta
          ? (child.meta.path === path ? child.meta : { ...child.meta, path })
          : { path, type: 'dir', size: 0, mode: 0o755, layerIndex: child.implicitLayer, layerDigest: child.implicitDigest };
        out.push(meta);
        visit(child, path);
      }
    };
    visit(this.root, '');
    return out;
  }
}
