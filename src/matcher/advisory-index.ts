/**
 * Read-only handle on the advisory index for matching: batched lookups by (ecosystem, name) with
 * parsed rows and record details cached, so matching thousands of packages parses each row once.
 */
import type Database from 'better-sqlite3';
import { normalizeEcosystem, normalizePackageName } from '../vulndb/names.ts';
import type { OsvRecord } from '../vulndb/osv.ts';
import { openIndexDatabase } from '../vulndb/store.ts';
import type { StoredAffected } from '../vulndb/store.ts';

export interface AffectedRow {
  /** Row id of the affected entry (stable within one snapshot). */
  row: number;
  rid: number;
  /** The advisory's id (details are fetched only for matches). */
  advisoryId: string;
  /** Normalised lookup keys. */
  ecosystem: string;
  name: string;
  data: StoredAffected;
}

/** Advisory details without `affected` (that lives in AffectedRow). */
export type AdvisoryDetail = Omit<OsvRecord, 'affected'>;

export interface AdvisoryIndex {
  readonly path: string;
  readonly snapshot: string;
  readonly builtAt: string;
  close(): void;
  /** Affected rows for these package names in one ecosystem (names as inventories spell them; normalised here). */
  lookup(ecosystem: string, names: readonly string[]): Map<string, AffectedRow[]>;
  advisory(rid: number): AdvisoryDetail;
  /** Loads the details of many records at once (batched), so later advisory() calls hit the cache. */
  prefetch?(rids: Iterable<number>): void;
  /** Record ids whose id or alias equals `id` (`CVE-2021-44228` → GHSA-…, DEBIAN-CVE-…). */
  ridsFor(id: string): number[];
}

const BATCH = 400;

class SqliteAdvisoryIndex implements AdvisoryIndex {
  readonly path: string;
  readonly snapshot: string;
  readonly builtAt: string;
  private readonly db: Database.Database;
  private readonly rowCache = new Map<number, AffectedRow>();
  private readonly detailCache = new Map<number, AdvisoryDetail>();
  /** Raw (array) rows: one allocation fewer per row than objects, which matters at 25k rows per scan. */
  private readonly lookupStatements = new Map<number, Database.Statement<string[], [number, number, string, string, string]>>();
  /** (ecosystem, name) → rows; bounded so a long-running worker does not grow without limit. */
  private readonly keyCache = new Map<string, AffectedRow[]>();
  private static readonly KEY_CACHE_LIMIT = 200_000;
  private readonly detailStmt: Database.Statement<[number], { id: string; detail: string; withdrawn: string | null }>;
  private readonly aliasStmt: Database.Statement<[string, string], { rid: number }>;

  constructor(dbPath: string) {
    this.path = dbPath;
    this.db = openIndexDatabase(dbPath);
    const meta = new Map(this.db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));
    this.snapshot = meta.get('snapshot') ?? '';
    this.builtAt = meta.get('built_at') ?? '';
    this.detailStmt = this.db.prepare('SELECT id, detail, withdrawn FROM advisories WHERE rid = ?');
    this.aliasStmt = this.db.prepare('SELECT rid FROM advisories WHERE id = ? UNION SELECT rid FROM aliases WHERE alias = ?');
  }

  close(): void {
    this.db.close();
  }

  private statement(n: number) {
    let stmt = this.lookupStatements.get(n);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT f.rowid AS row, f.rid, a.id, f.name, f.data FROM affected f JOIN advisories a ON a.rid = f.rid
         WHERE f.ecosystem = ? AND f.name IN (${new Array(n).fill('?').join(',')})`,
      ).raw(true) as unknown as Database.Statement<string[], [number, number, string, string, string]>;
      this.lookupStatements.set(n, stmt);
    }
    return stmt;
  }

  lookup(ecosystem: string, names: readonly string[]): Map<string, AffectedRow[]> {
    const eco = normalizeEcosystem(ecosystem);
    const byKey = new Map<string, string[]>();
    for (const n of names) {
      const key = normalizePackageName(eco, n);
      const list = byKey.get(key);
      if (list) list.push(n);
      else byKey.set(key, [n]);
    }
    const result = new Map<string, AffectedRow[]>();
    const missing: string[] = [];
    const give = (key: string, rows: AffectedRow[]) => {
      if (rows.length) for (const original of byKey.get(key) ?? []) result.set(original, rows);
    };
    for (const key of byKey.keys()) {
      const cached = this.keyCache.get(`${eco}\0${key}`);
      if (cached) give(key, cached);
      else missing.push(key);
    }
    if (this.keyCache.size + missing.length > SqliteAdvisoryIndex.KEY_CACHE_LIMIT) {
      this.keyCache.clear();
      this.rowCache.clear();
    }
    // Sorted names walk the (ecosystem, name) index in order: fewer page visits per batch.
    missing.sort();
    for (let i = 0; i < missing.length; i += BATCH) {
      const batch = missing.slice(i, i + BATCH);
      const found = new Map<string, AffectedRow[]>(batch.map((k) => [k, []]));
      for (const [rowId, rid, advisoryId, name, data] of this.statement(batch.length).all(eco, ...batch)) {
        let row = this.rowCache.get(rowId);
        if (!row) {
          row = { row: rowId, rid, advisoryId, ecosystem: eco, name, data: JSON.parse(data) as StoredAffected };
          this.rowCache.set(rowId, row);
        }
        found.get(name)?.push(row);
      }
      for (const [key, rows] of found) {
        this.keyCache.set(`${eco}\0${key}`, rows);
        give(key, rows);
      }
    }
    return result;
  }

  advisory(rid: number): AdvisoryDetail {
    let detail = this.detailCache.get(rid);
    if (!detail) {
      const r = this.detailStmt.get(rid);
      if (!r) throw new Error(`advisory row ${rid} missing from ${this.path}`);
      detail = JSON.parse(r.detail) as AdvisoryDetail;
      this.detailCache.set(rid, detail);
    }
    return detail;
  }

  prefetch(rids: Iterable<number>): void {
    const missing = [...new Set(rids)].filter((r) => !this.detailCache.has(r));
    for (let i = 0; i < missing.length; i += BATCH) {
      const batch = missing.slice(i, i + BATCH);
      const stmt = this.db.prepare<number[], { rid: number; detail: string }>(`SELECT rid, detail FROM advisories WHERE rid IN (${batch.map(() => '?').join(',')})`);
      for (const r of stmt.all(...batch)) this.detailCache.set(r.rid, JSON.parse(r.detail) as AdvisoryDetail);
    }
  }

  ridsFor(id: string): number[] {
    return this.aliasStmt.all(id, id).map((r) => r.rid);
  }
}

/**
 * Opens the index read-only. Throws PortwardenError `db_missing` with
 * "no advisory database at PATH; run `portwarden db update` or `portwarden db import`" when absent.
 */
export function openAdvisoryIndex(path: string): AdvisoryIndex {
  return new SqliteAdvisoryIndex(path);
}
