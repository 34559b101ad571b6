/**
 * The layer walker: streams every layer once (a few in parallel), hands analyzers the files they
 * asked for, one buffered file at a time, then overlays the layers' metadata into the final
 * filesystem to decide which fragments survive. Nothing is written to disk; memory is bounded by
 * the per-file limits times the layers in flight plus per-entry metadata.
 *
 * Hard links: an analyzer that requires a hard link's path gets the content of its target. The
 * target must be in the same layer (tar writers emit the data once, with the first name); its
 * bytes come from a small per-layer cache of files already buffered, or else from a second read of
 * that layer restricted to the missing targets. A link whose target is not in its layer is skipped
 * with a warning.
 */
import { opendir, lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Analyzer, AnalyzerOutput, Fragment } from '../analyzers/types.ts';
import { DEFAULT_MAX_FILE_SIZE } from '../analyzers/types.ts';
import type { EntryType, FileMeta, ImageSource } from './types.ts';
import { PortwardenError, errorMessage } from '../util/errors.ts';
import { type WalkLimits, resolveLimits } from './layers/limits.ts';
import { classifyWhiteout, compareBytes, normalizeEntryPath } from './layers/paths.ts';
import { LimitExceededError, entryTypeOf, openLayerTar, readEntry, skipEntry, type TarEntry } from './layers/tar.ts';
import { OverlayView, type LayerChanges } from './layers/view.ts';

export type { WalkLimits } from './layers/limits.ts';
export { DEFAULT_WALK_LIMITS } from './layers/limits.ts';

export interface WalkOptions {
  analyzers: Analyzer[];
  collectTree?: boolean;
  /** Layers downloaded and decompressed at once; default 3. */
  concurrency?: number;
  limits?: Partial<WalkLimits>;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface WalkStats {
  layers: number;
  entries: number;
  compressedBytes: number;
  uncompressedBytes: number;
  filesBuffered: number;
  bytesBuffered: number;
}

export interface WalkResult {
  /** By analyzer name, from finalize(). */
  outputs: Map<string, AnalyzerOutput>;
  /** Final view, sorted by path (bytes), metadata only; only with collectTree. */
  tree?: FileMeta[];
  warnings: string[];
  stats: WalkStats;
}

/**
 * Bytes of buffered file contents kept per layer so hard links to them need no second read. Small
 * on purpose: it is held for the whole layer, times the layers in flight, and links to analyzed
 * files are rare enough that a second read of the layer is the cheaper trade.
 */
const HARDLINK_CACHE_BYTES = 4 * 1024 * 1024;

interface WalkContext {
  analyzers: Analyzer[];
  limits: WalkLimits;
  warn: (message: string) => void;
  signal: AbortSignal;
  totals: { entries: number; uncompressed: number };
}

interface LayerOutcome {
  changes: LayerChanges;
  /** Per analyzer (same order as ctx.analyzers): fragments of this layer in entry order, last write per path. */
  fragments: Map<string, Fragment<unknown>>[];
  entries: number;
  compressedBytes: number;
  uncompressedBytes: number;
  filesBuffered: number;
  bytesBuffered: number;
}

function maxSizeOf(a: Analyzer): number {
  return a.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
}

/** Asks each analyzer about a file; returns the indexes of those that want it, warning about ones over their size limit. */
function wantedBy(ctx: WalkContext, meta: FileMeta, size: number): number[] {
  const wanted: number[] = [];
  ctx.analyzers.forEach((analyzer, i) => {
    let required = false;
    try {
      required = analyzer.required(meta.path, meta);
    } catch (err) {
      ctx.warn(`analyzer ${analyzer.name} failed on ${meta.path} in layer ${meta.layerDigest || '(dir)'}: ${errorMessage(err)}`);
    }
    if (!required) return;
    if (size > maxSizeOf(analyzer)) {
      ctx.warn(`${meta.path} in layer ${meta.layerDigest || '(dir)'}: ${size} bytes exceeds analyzer ${analyzer.name}'s limit of ${maxSizeOf(analyzer)}; skipped`);
      return;
    }
    wanted.push(i);
  });
  return wanted;
}

async function runAnalyzers(
  ctx: WalkContext,
  wanted: number[],
  meta: FileMeta,
  content: Buffer,
  fragments: Map<string, Fragment<unknown>>[],
): Promise<void> {
  for (const i of wanted) {
    const analyzer = ctx.analyzers[i] as Analyzer;
    try {
      const value = await analyzer.analyze({ path: meta.path, content, meta });
      const perPath = fragments[i] as Map<string, Fragment<unknown>>;
      // A later copy of the same path in the same layer replaces the earlier one, as extraction would.
      perPath.delete(meta.path);
      if (value !== undefined) {
        const fragment: Fragment<unknown> = { path: meta.path, layerIndex: meta.layerIndex, layerDigest: meta.layerDigest, value };
        fragmentEntries.set(fragment, meta);
        perPath.set(meta.path, fragment);
      }
    } catch (err) {
      ctx.warn(`analyzer ${analyzer.name} failed on ${meta.path} in layer ${meta.layerDigest || '(dir)'}: ${errorMessage(err)}`);
    }
  }
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new PortwardenError('aborted', 'walk aborted');
  }
}

async function walkLayer(source: ImageSource, layerIndex: number, ctx: WalkContext): Promise<LayerOutcome> {
  const descriptor = source.layers[layerIndex];
  if (!descriptor) throw new PortwardenError('layer_missing', `layer ${layerIndex} not in the manifest`);
  const digest = descriptor.digest;
  const changes: LayerChanges = { layerIndex, layerDigest: digest, entries: [], whiteouts: [], opaqueDirs: [] };
  const fragments = ctx.analyzers.map(() => new Map<string, Fragment<unknown>>());
  const outcome: LayerOutcome = { changes, fragments, entries: 0, compressedBytes: 0, uncompressedBytes: 0, filesBuffered: 0, bytesBuffered: 0 };
  const regularFiles = new Map<string, FileMeta>();
  const contentCache = new Map<string, Buffer>();
  let cacheBytes = 0;
  /** Hard links some analyzer wants, whose target's bytes were not cached: link meta + wanting analyzers. */
  const pendingLinks: { meta: FileMeta; target: string; wanted: number[] }[] = [];

  const raw = await source.openLayer(layerIndex);
  const tar = await openLayerTar(raw, {
    digest,
    mediaTypeCompression: descriptor.compression,
    limits: ctx.limits,
    onWarning: ctx.warn,
    onUncompressed: (delta) => {
      ctx.totals.uncompressed += delta;
      if (ctx.totals.uncompressed > ctx.limits.maxTotalBytes) {
        throw new LimitExceededError(`image exceeds ${ctx.limits.maxTotalBytes} decompressed bytes (limit reached in layer ${digest}); raise the limit if this image is really that large`);
      }
    },
  });
  const onAbort = (): void => tar.destroy();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const entry of tar.entries) {
      checkAborted(ctx.signal);
      await handleEntry(entry);
    }
  } catch (err) {
    checkAborted(ctx.signal);
    throw tar.explain(err);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  outcome.compressedBytes = tar.compressedBytes();
  outcome.uncompressedBytes = tar.uncompressedBytes();
  if (pendingLinks.length) await resolvePendingLinks();
  return outcome;

  async function handleEntry(entry: TarEntry): Promise<void> {
    const header = entry.header;
    outcome.entries++;
    if (++ctx.totals.entries > ctx.limits.maxEntries) {
      throw new LimitExceededError(`image has more than ${ctx.limits.maxEntries} tar entries (limit reached in layer ${digest})`);
    }
    const type = entryTypeOf(header);
    const normalized = normalizeEntryPath(header.name);
    if (!normalized.ok || type === undefined || Buffer.byteLength(header.name) > ctx.limits.maxPathLength) {
      const why = !normalized.ok ? normalized.reason : type === undefined ? `unsupported entry type ${String(header.type)}` : `path longer than ${ctx.limits.maxPathLength} bytes`;
      ctx.warn(`layer ${digest}: skipped entry ${JSON.stringify(header.name.slice(0, 200))}: ${why}`);
      await skipEntry(entry);
      return;
    }
    const entryPath = normalized.path;
    const whiteout = classifyWhiteout(entryPath);
    if (whiteout.kind !== 'none') {
      if (whiteout.kind === 'opaque') changes.opaqueDirs.push(whiteout.dir);
      else if (whiteout.kind === 'whiteout') changes.whiteouts.push(whiteout.target);
      await skipEntry(entry);
      return;
    }
    const meta: FileMeta = { path: entryPath, type, size: type === 'file' ? header.size : 0, mode: header.mode, layerIndex, layerDigest: digest };
    if (type === 'symlink') meta.linkname = header.linkname;
    if (type === 'hardlink') {
      const target = normalizeEntryPath(header.linkname);
      if (!target.ok) {
        ctx.warn(`layer ${digest}: skipped hard link ${entryPath}: target ${target.reason}`);
        await skipEntry(entry);
        return;
      }
      meta.linkname = target.path;
      const targetMeta = regularFiles.get(target.path);
      // Analyzers decide on size; a hard link has the size of what it points to.
      if (targetMeta) meta.size = targetMeta.size;
    }
    changes.entries.push(meta);
    // Whatever was analyzed at this path earlier in the layer has just been overwritten.
    for (const perPath of fragments) perPath.delete(entryPath);
    if (type === 'file') {
      regularFiles.set(entryPath, meta);
      contentCache.delete(entryPath);
    }
    if (type !== 'file' && type !== 'hardlink') {
      await skipEntry(entry);
      return;
    }
    const wanted = wantedBy(ctx, meta, meta.size);
    if (type === 'hardlink') {
      await skipEntry(entry);
      if (!wanted.length) return;
      const target = meta.linkname as string;
      const cached = contentCache.get(target);
      if (cached) await runAnalyzers(ctx, wanted, meta, cached, fragments);
      else if (regularFiles.has(target)) pendingLinks.push({ meta, target, wanted });
      else ctx.warn(`layer ${digest}: hard link ${entryPath} → ${target}: target is not in this layer; content not analyzed`);
      return;
    }
    if (!wanted.length) {
      await skipEntry(entry);
      return;
    }
    const content = await readEntry(entry, header.size);
    outcome.filesBuffered++;
    outcome.bytesBuffered += content.length;
    if (cacheBytes + content.length <= HARDLINK_CACHE_BYTES) {
      contentCache.set(entryPath, content);
      cacheBytes += content.length;
    }
    await runAnalyzers(ctx, wanted, meta, content, fragments);
  }

  /** Second pass over the layer for hard-link targets nobody else had asked for. */
  async function resolvePendingLinks(): Promise<void> {
    const targets = new Set(pendingLinks.map((p) => p.target));
    const found = new Map<string, Buffer>();
    const largestWanted = Math.max(...pendingLinks.flatMap((l) => l.wanted.map((i) => maxSizeOf(ctx.analyzers[i] as Analyzer))));
    const again = await openLayerTar(await source.openLayer(layerIndex), { digest, mediaTypeCompression: descriptor!.compression, limits: ctx.limits });
    try {
      for await (const entry of again.entries) {
        checkAborted(ctx.signal);
        const p = normalizeEntryPath(entry.header.name);
        if (p.ok && entryTypeOf(entry.header) === 'file' && targets.has(p.path) && entry.header.size <= largestWanted) {
          found.set(p.path, await readEntry(entry, entry.header.size));
        } else {
          await skipEntry(entry);
        }
      }
    } catch (err) {
      throw again.explain(err);
    }
    for (const link of pendingLinks) {
      const content = found.get(link.target);
      if (content) await runAnalyzers(ctx, link.wanted, link.meta, content, fragments);
      else ctx.warn(`layer ${digest}: hard link ${link.meta.path} → ${link.target}: target content not found`);
    }
  }
}

/** Runs `task(i)` for i in [0, count) with at most `limit` in flight; the first failure aborts the rest. */
async function runBounded<T>(count: number, limit: number, controller: AbortController, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < count && firstError === undefined) {
      const i = next++;
      try {
        results[i] = await task(i);
      } catch (err) {
        if (firstError === undefined) {
          firstError = err;
          controller.abort(err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker));
  if (firstError !== undefined) throw firstError;
  return results;
}

/**
 * The tar entry each fragment was made from. A fragment survives when that very entry is still in
 * the final view: exact even when the path was reached through a symlinked parent, rewritten
 * later in the same layer, or replaced by a directory or symlink.
 */
const fragmentEntries = new WeakMap<Fragment<unknown>, FileMeta>();

function isFinalWriter(survivors: Set<FileMeta>, fragment: Fragment<unknown>): boolean {
  const entry = fragmentEntries.get(fragment);
  return entry !== undefined && survivors.has(entry);
}

function finalizeAll(ctx: WalkContext, perAnalyzer: Fragment<unknown>[][], view: OverlayView | undefined): Map<string, AnalyzerOutput> {
  const survivors = view?.survivors();
  const outputs = new Map<string, AnalyzerOutput>();
  ctx.analyzers.forEach((analyzer, i) => {
    const all = perAnalyzer[i] ?? [];
    let fragments: Fragment<unknown>[];
    if (!survivors) fragments = all;
    else if (analyzer.scope === 'all-layers') fragments = all.map((f) => (isFinalWriter(survivors, f) ? f : { ...f, deleted: true }));
    else fragments = all.filter((f) => isFinalWriter(survivors, f));
    try {
      outputs.set(analyzer.name, analyzer.finalize(fragments));
    } catch (err) {
      const message = `analyzer ${analyzer.name} failed to finalize: ${errorMessage(err)}`;
      ctx.warn(message);
      outputs.set(analyzer.name, { warnings: [message] });
    }
  });
  return outputs;
}

export async function walkImage(source: ImageSource, opts: WalkOptions): Promise<WalkResult> {
  const warnings: string[] = [];
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const ctx: WalkContext = {
    analyzers: opts.analyzers,
    limits: resolveLimits(opts.limits),
    warn: (message) => {
      warnings.push(message);
      opts.onWarning?.(message);
    },
    signal: controller.signal,
    totals: { entries: 0, uncompressed: 0 },
  };
  try {
    if (source.rootDir !== undefined) return await walkDirectory(source.rootDir, opts, ctx, warnings);
    const outcomes = await runBounded(source.layers.length, opts.concurrency ?? 3, controller, (i) => walkLayer(source, i, ctx));
    const view = new OverlayView();
    for (const o of outcomes) view.apply(o.changes);
    const perAnalyzer = ctx.analyzers.map((_, i) => outcomes.flatMap((o) => [...(o.fragments[i] as Map<string, Fragment<unknown>>).values()]));
    const outputs = finalizeAll(ctx, perAnalyzer, view);
    const stats: WalkStats = { layers: outcomes.length, entries: 0, compressedBytes: 0, uncompressedBytes: 0, filesBuffered: 0, bytesBuffered: 0 };
    for (const o of outcomes) {
      stats.entries += o.entries;
      stats.compressedBytes += o.compressedBytes;
      stats.uncompressedBytes += o.uncompressedBytes;
      stats.filesBuffered += o.filesBuffered;
      stats.bytesBuffered += o.bytesBuffered;
    }
    const result: WalkResult = { outputs, warnings, stats };
    if (opts.collectTree) result.tree = sortTree(view.list());
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function sortTree(tree: FileMeta[]): FileMeta[] {
  return tree.sort((a, b) => compareBytes(a.path, b.path));
}

function direntType(stat: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean }): EntryType | undefined {
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'dir';
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isCharacterDevice()) return 'char';
  if (stat.isBlockDevice()) return 'block';
  if (stat.isFIFO()) return 'fifo';
  return undefined; // sockets: not part of an image
}

/**
 * `dir:` sources: a root filesystem on disk as one pseudo-layer (index 0, digest ''). Symlinks are
 * never followed (lstat), special files are listed but never read, and the same analyzer rules apply.
 */
async function walkDirectory(rootDir: string, opts: WalkOptions, ctx: WalkContext, warnings: string[]): Promise<WalkResult> {
  const fragments = ctx.analyzers.map(() => new Map<string, Fragment<unknown>>());
  const tree: FileMeta[] = [];
  const stats: WalkStats = { layers: 1, entries: 0, compressedBytes: 0, uncompressedBytes: 0, filesBuffered: 0, bytesBuffered: 0 };
  const visit = async (dirAbs: string, dirRel: string): Promise<void> => {
    let dir;
    try {
      dir = await opendir(dirAbs);
    } catch (err) {
      ctx.warn(`cannot read directory ${dirRel || '.'}: ${errorMessage(err)}`);
      return;
    }
    const names: string[] = [];
    for await (const d of dir) names.push(d.name);
    names.sort(compareBytes);
    for (const name of names) {
      checkAborted(ctx.signal);
      const abs = path.join(dirAbs, name);
      const rel = dirRel ? `${dirRel}/${name}` : name;
      let st;
      try {
        st = await lstat(abs);
      } catch (err) {
        ctx.warn(`cannot stat ${rel}: ${errorMessage(err)}`);
        continue;
      }
      const type = direntType(st);
      if (!type) continue;
      if (++ctx.totals.entries > ctx.limits.maxEntries) throw new LimitExceededError(`directory has more than ${ctx.limits.maxEntries} entries`);
      stats.entries++;
      const meta: FileMeta = { path: rel, type, size: type === 'file' ? st.size : 0, mode: st.mode & 0o7777, layerIndex: 0, layerDigest: '' };
      if (type === 'symlink') {
        try { meta.linkname = await readlink(abs); } catch { /* listed without target */ }
      }
      if (opts.collectTree) tree.push(meta);
      if (type === 'dir') {
        await visit(abs, rel);
        continue;
      }
      if (type !== 'file') continue;
      const wanted = wantedBy(ctx, meta, meta.size);
      if (!wanted.length) continue;
      let content: Buffer;
      try {
        content = await readFile(abs);
      } catch (err) {
        ctx.warn(`cannot read ${rel}: ${errorMessage(err)}`);
        continue;
      }
      stats.filesBuffered++;
      stats.bytesBuffered += content.length;
      stats.uncompressedBytes += content.length;
      await runAnalyzers(ctx, wanted, meta, content, fragments);
    }
  };
  await visit(rootDir, '');
  const perAnalyzer = fragments.map((m) => [...m.values()]);
  const outputs = finalizeAll(ctx, perAnalyzer, undefined);
  const result: WalkResult = { outputs, warnings, stats };
  if (opts.collectTree) result.tree = sortTree(tree);
  return result;
}
