/**
 * The overlay of layer changesets into the final filesystem, as the OCI image spec applies them:
 * in layer order, a layer's whiteouts and opaque markers remove content of the layers below it
 * (never of the same layer), then its entries are written. Kept as a tree so that deleting a
 * subtree or making a directory opaque costs O(1), whatever the number of files below it.
 */
import type { FileMeta } from '../types.ts';
import { compareBytes } from './paths.ts';

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

  private lookup(path: string): Node | undefined {
    if (path === '') return this.root;
    let node: Node | undefined = this.root;
    for (const name of path.split('/')) {
      node = node.children?.get(name);
      if (!node) return undefined;
    }
    return node;
  }

  private remove(path: string): void {
    if (path === '') return;
    const slash = path.lastIndexOf('/');
    const parent = this.lookup(slash < 0 ? '' : path.slice(0, slash));
    parent?.children?.delete(slash < 0 ? path : path.slice(slash + 1));
  }

  private write(entry: FileMeta, layer: LayerChanges): void {
    if (entry.path === '') return; // the root entry (`./`) carries nothing we list
    const names = entry.path.split('/');
    let node = this.root;
    for (let i = 0; i < names.length - 1; i++) {
      const name = names[i] as string;
      let child = node.children?.get(name);
      // A parent that is missing, or that a lower layer had as a file or symlink, becomes a directory:
      // extraction creates missing parents, and a changeset that writes below a path owns it as a dir.
      if (!child || child.children === undefined) {
        child = { meta: undefined, implicitLayer: layer.layerIndex, implicitDigest: layer.layerDigest, children: new Map() };
        (node.children as Map<string, Node>).set(name, child);
      }
      node = child;
    }
    const last = names[names.length - 1] as string;
    const existing = node.children?.get(last);
    if (entry.type === 'dir') {
      // Directory over directory merges (keeps lower contents, takes the new metadata).
      if (existing?.children) { existing.meta = entry; return; }
      (node.children as Map<string, Node>).set(last, { meta: entry, implicitLayer: layer.layerIndex, implicitDigest: layer.layerDigest, children: new Map() });
      return;
    }
    (node.children as Map<string, Node>).set(last, { meta: entry, implicitLayer: layer.layerIndex, implicitDigest: layer.layerDigest, children: undefined });
  }

  /** The entry that finally owns `path`, or undefined if it is absent from the final filesystem. */
  finalEntry(path: string): FileMeta | undefined {
    const node = this.lookup(path);
    return node?.meta;
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
