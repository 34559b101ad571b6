/**
 * In-process announcements of scan state changes, per store handle (the Kysely instance). Every
 * write in scans.ts announces the scan it changed after it is committed, so a cache of scan views
 * in this process (the API's status cache) is kept coherent by construction, whoever the writer is
 * (an API route, the embedded worker, the dead-letter hook). Other processes do not hear these:
 * caches there rely on a short TTL (docs/api.md, "Consistency of GET /scans/{id}").
 *
 * Keyed by the handle, not global, so two stores in one process (tests, tools) stay independent,
 * and a handle that is dropped takes its listeners with it.
 */
export type ScanChangeListener = (scanId: string) => void;

const listeners = new WeakMap<object, Set<ScanChangeListener>>();

/** Calls `listener` after each committed change to a scan made through this handle; returns an unsubscribe function. */
export function onScanChanged(db: object, listener: ScanChangeListener): () => void {
  let set = listeners.get(db);
  if (!set) {
    set = new Set();
    listeners.set(db, set);
  }
  set.add(listener);
  return () => { set.delete(listener); };
}

export function announceScanChanged(db: object, scanId: string): void {
  const set = listeners.get(db);
  if (!set) return;
  for (const listener of set) listener(scanId);
}
