/**
 * Cache of GET /scans/{id} views. A completed scan never changes, so its view is kept until evicted;
 * any other state (queued, scanning, failed — a failed scan can be retried) is kept for `ttlMs`,
 * counted from when its read started, so a view is never older than `ttlMs`. `invalidate` (called for
 * every change made in this process, see store/scan-changes.ts) drops the entry at once and keeps an
 * in-flight read that started before the change out of the cache, while its callers still get an
 * answer. Concurrent misses for one id share one read.
 *
 * lru-cache's fetch() was considered: deleting a key during its fetch aborts the fetch (its callers
 * get an error) or, with ignoreFetchAbort, stores the pre-change result — neither is wanted here.
 */
export interface ScanViewCacheOptions {
  /** Most views kept; the oldest insertion goes first. */
  maxEntries: number;
  /**
   * Most bytes kept, as the loader estimates them (LoadedView.bytes): one completed scan's view holds
   * every finding's description, so a count alone would not bound memory. Default: no byte bound.
   */
  maxBytes?: number;
  /** Lifetime of a view of a scan that can still change; Infinity when every writer is in this process. */
  ttlMs: number;
  now?: () => number;
}

export interface LoadedView<V> {
  view: V;
  /** True when the scan can never change again (completed). */
  immutable: boolean;
  /** Estimated size of the view in memory; a view larger than maxBytes is answered but not kept. */
  bytes?: number;
}

interface Entry<V> {
  view: V;
  expiresAt: number;
  bytes: number;
}

interface Read<V> {
  promise: Promise<V | undefined>;
  /** Set when the scan changed while this read was running: its result must not be cached. */
  superseded: boolean;
}

export class ScanViewCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly reads = new Map<string, Read<V>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private totalBytes = 0;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: ScanViewCacheOptions) {
    this.maxEntries = opts.maxEntries;
    this.maxBytes = opts.maxBytes ?? Infinity;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes of the views kept. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The cached view, or the one `load` returns (undefined = no such scan; never cached). */
  get(id: string, load: () => Promise<LoadedView<V> | undefined>): Promise<V | undefined> {
    const entry = this.entries.get(id);
    if (entry) {
      if (entry.expiresAt > this.now()) return Promise.resolve(entry.view);
      this.remove(id);
    }
    const running = this.reads.get(id);
    if (running) return running.promise;
    const startedAt = this.now();
    const read: Read<V> = { superseded: false, promise: Promise.resolve(undefined) };
    const finish = () => {
      if (this.reads.get(id) === read) this.reads.delete(id);
    };
    read.promise = load().then((loaded) => {
      finish();
      if (!loaded) return undefined;
      if (!read.superseded) this.put(id, loaded.view, loaded.immutable ? Infinity : startedAt + this.ttlMs, loaded.bytes ?? 0);
      return loaded.view;
    }, (err: unknown) => {
      finish();
      throw err;
    });
    this.reads.set(id, read);
    return read.promise;
  }

  invalidate(id: string): void {
    this.remove(id);
    const running = this.reads.get(id);
    if (running) {
      running.superseded = true;
      // Requests arriving after the change start a fresh read instead of joining the old one.
      this.reads.delete(id);
    }
  }

  private put(id: string, view: V, expiresAt: number, bytes: number): void {
    if (expiresAt <= this.now() || bytes > this.maxBytes) return;
    this.remove(id);
    this.entries.set(id, { view, expiresAt, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.totalBytes -= entry.bytes;
  }
}
