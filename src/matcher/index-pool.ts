/**
 * Shared read-only handles on advisory index files, for long-running processes (the service's
 * workers). A handle is opened once per version of the file and reused by every job, so a job skips
 * opening the file, re-reading pages an earlier job already touched, and unmapping them on close:
 * matching a 500-package inventory costs about half (docs/vulndb.md, "Atomic swap").
 *
 * `db update` and `db import` replace the file by rename. The next `acquire` sees another
 * (device, inode, mtime, size) and opens the new file; the old handle is closed once the last job
 * using it releases it, so a job always matches against one consistent snapshot.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { openAdvisoryIndex } from './advisory-index.ts';
import type { AdvisoryIndex } from './advisory-index.ts';

/** A handle lent to one job; `release` exactly once when done with it (later calls do nothing). */
export interface IndexLease {
  index: AdvisoryIndex;
  release(): void;
}

interface Pooled {
  index: AdvisoryIndex;
  /** Identity of the file version the handle was opened on. */
  version: string;
  users: number;
  /** Replaced by a newer file (or the pool closed): close when the last user releases it. */
  retired: boolean;
}

export class AdvisoryIndexPool {
  private readonly handles = new Map<string, Pooled>();
  private closed = false;

  /** A handle on the file now at `dbPath`. Throws what openAdvisoryIndex throws (missing, wrong schema). */
  acquire(dbPath: string): IndexLease {
    if (this.closed) throw new Error('advisory index pool is closed');
    const key = path.resolve(dbPath);
    const stat = statSync(key, { throwIfNoEntry: false });
    let pooled = this.handles.get(key);
    const version = stat ? `${stat.dev}:${stat.ino}:${stat.mtimeMs}:${stat.size}` : '';
    if (pooled && pooled.version !== version) {
      this.retire(key, pooled);
      pooled = undefined;
    }
    if (!pooled) {
      // Opened even when stat found nothing, for openAdvisoryIndex's error (`db_missing`, with what to run).
      // Mapped: the handle outlives the job, so pages one job touched are free to the next.
      pooled = { index: openAdvisoryIndex(key, { pages: 'mapped' }), version, users: 0, retired: false };
      this.handles.set(key, pooled);
    }
    const lent = pooled;
    lent.users++;
    let released = false;
    return {
      index: lent.index,
      release: () => {
        if (released) return;
        released = true;
        lent.users--;
        if (lent.retired && lent.users === 0) lent.index.close();
      },
    };
  }

  /** Files with a handle in the pool (replaced handles still lent out are not counted). */
  get openHandles(): number {
    return this.handles.size;
  }

  /** Closes idle handles now and lent ones when released; later acquires throw. */
  close(): void {
    this.closed = true;
    for (const [key, pooled] of this.handles) this.retire(key, pooled);
  }

  private retire(key: string, pooled: Pooled): void {
    this.handles.delete(key);
    pooled.retired = true;
    if (pooled.users === 0) pooled.index.close();
  }
}
