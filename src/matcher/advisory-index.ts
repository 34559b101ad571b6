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
  private readonly lookupStatements = new Map<number, Database.Statement<string[], { row: number; rid: number; ecosystem: string; name: string; data: string }>>();
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
      stmt = this.db.prepare(`SELECT rowid AS row, rid, ecosystem, name, data FROM affected WHERE ecosystem = ? AND name IN (${new Array(n).fill('?').join(',')})`);
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
    const keys = [...byKey.keys()];
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      for (const r of this.statement(batch.length).all(eco, ...batch)) {
        let row = this.rowCache.get(r.row);
        if (!row) {
          row = { row: r.row, rid: r.rid, ecosystem: r.ecosystem, name: r.name, data: JSON.parse(r.data) as StoredAffected };
          this.rowCache.set(r.row, row);
        }
        for (const original of byKey.get(r.name) ?? []) {
          const list = result.get(original);
          if (list) list.push(row);
          else result.set(original, [row]);
        }
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
