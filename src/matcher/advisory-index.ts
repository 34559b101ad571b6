/**
 * Read-only handle on the advisory index for matching. Lookups read the compact match entries of
 * each (ecosystem, name) in one row (vulndb/match-entries.ts); full affected rows and advisory
 * details are read, in batches, only for the entries the pre-check lets through — one advisory row
 * each, which holds both (vulndb/store.ts, schema 3).
 */
import type Database from 'better-sqlite3';
import { eventOrderFingerprint } from '../vulndb/match-entries.ts';
import { normalizeEcosystem, normalizePackageName } from '../vulndb/names.ts';
import type { OsvRecord } from '../vulndb/osv.ts';
import { openIndexDatabase } from '../vulndb/store.ts';
import type { StoredAffected, StoredRow } from '../vulndb/store.ts';

export interface AffectedRow {
  /** Row id of the affected entry (stable within one snapshot). */
  row: number;
  rid: number;
  /** The advisory's id. */
  advisoryId: string;
  data: StoredAffected;
}

/** Which affected row to read: its row id and its advisory's rid (a MatchEntry's first two fields). */
export interface RowRef {
  row: number;
  rid: number;
}

/** An affected row read for evaluation, with its advisory's details (read in the same statement). */
export interface AffectedRowWithDetail extends AffectedRow {
  detail: AdvisoryDetail;
}

/**
 * One affected row in compact form: `[rowId, rid, …]` as laid out in vulndb/match-entries.ts. Read it
 * with matcher/ranges `quickAffectedEntry`; `entry[0]` and `entry[1]` name the row for `rows()`.
 */
export type MatchEntry = readonly unknown[];

export function parseMatchEntries(text: string): MatchEntry[] {
  return JSON.parse(text) as MatchEntry[];
}

/** Advisory details without `affected` (that lives in AffectedRow). */
export type AdvisoryDetail = Omit<OsvRecord, 'affected'>;

export interface AdvisoryIndex {
  readonly path: string;
  readonly snapshot: string;
  readonly builtAt: string;
  /**
   * Whether the events in the compact entries were sorted by this build's version schemes
   * (vulndb/match-entries `eventOrderFingerprint`). When not, the matcher evaluates every row in full.
   */
  readonly storedOrderTrusted: boolean;
  /** How pages are read, as SQLite reports it after opening (`mapped` when a mapping is in force). */
  readonly pages: PageAccess;
  close(): void;
  /**
   * The compact entries of these package names in one ecosystem (names as inventories spell them;
   * normalised here), as the JSON text of a MatchEntry[] per name with any: parsed by the caller when
   * it needs them, so they die young instead of being held through a whole scan.
   */
  matchEntryText(ecosystem: string, names: readonly string[]): Map<string, string>;
  /** Full affected rows by row id (batched), each with its advisory's details, read from the same row. */
  rows(refs: readonly RowRef[]): Map<number, AffectedRowWithDetail>;
  /** Full affected rows for these package names in one ecosystem: matchEntryText, then rows. */
  lookup(ecosystem: string, names: readonly string[]): Map<string, AffectedRowWithDetail[]>;
  advisory(rid: number): AdvisoryDetail;
  /** Record ids whose id or alias equals `id` (`CVE-2021-44228` → GHSA-…, DEBIAN-CVE-…). */
  ridsFor(id: string): number[];
}

/** Names or row ids per statement; one prepared statement per batch length, reused. */
const BATCH = 500;
/**
 * How a handle's pages reach SQLite (docs/vulndb.md, "Page access"):
 * - `mapped`, for handles kept open across scans (the workers' AdvisoryIndexPool): the file is
 *   memory-mapped, so a page any scan touched costs nothing to the next. 2 GiB is SQLite's default
 *   ceiling; files are replaced by rename, never truncated in place, so a mapping never loses its pages.
 * - `read`, for a handle that serves one scan and is closed (the CLI): pages are read into a small
 *   SQLite cache (READ_CACHE_KIB), whose buffers are recycled. A mapping pays a page fault on the
 *   first touch of each page, and one scan touches ~11,000 pages scattered over the file, once each:
 *   on the 2-core VM a fault cost 12–18 µs against ~3 µs for a read into a reused buffer, so a
 *   one-scan handle never earns the mapping back.
 */
export type PageAccess = 'mapped' | 'read';

export interface OpenIndexOptions {
  /** Default `read`: right for a handle opened for one scan; pools pass `mapped`. */
  pages?: PageAccess;
}

const MMAP_BYTES = 2 ** 31 - 2 ** 16;
/**
 * SQLite's cache for a `read` handle. Enough for the B-tree interior pages every lookup walks, and
 * small on purpose: better-sqlite3's default (16 MB) would make a one-scan handle fault in up to 4,000
 * fresh buffers, the cost `read` exists to avoid (5,000 scattered rows in a fresh process on the 2-core
 * VM: 103–122 ms with the default, 39–47 ms with 1 MiB, 127–145 ms mapped).
 */
const READ_CACHE_KIB = 1024;

class SqliteAdvisoryIndex implements AdvisoryIndex {
  readonly path: string;
  readonly snapshot: string;
  readonly builtAt: string;
  readonly storedOrderTrusted: boolean;
  readonly pages: PageAccess;
  private readonly db: Database.Database;
  private readonly entryStatements = new Map<number, Database.Statement<string[], [string, string]>>();
  private readonly rowStatements = new Map<number, Database.Statement<number[], [number, string, string, string]>>();
  private readonly detailStmt: Database.Statement<[number], { detail: string }>;
  private readonly aliasStmt: Database.Statement<[string, string], { rid: number }>;

  constructor(dbPath: string, pages: PageAccess) {
    this.path = dbPath;
    this.db = openIndexDatabase(dbPath);
    if (pages === 'mapped') this.db.pragma(`mmap_size = ${MMAP_BYTES}`);
    else this.db.pragma(`cache_size = -${READ_CACHE_KIB}`);
    this.pages = (this.db.pragma('mmap_size', { simple: true }) as number) > 0 ? 'mapped' : 'read';
    const meta = new Map(this.db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));
    this.snapshot = meta.get('snapshot') ?? '';
    this.builtAt = meta.get('built_at') ?? '';
    this.storedOrderTrusted = meta.get('event_order') === eventOrderFingerprint();
    this.detailStmt = this.db.prepare('SELECT detail FROM advisories WHERE rid = ?');
    this.aliasStmt = this.db.prepare('SELECT rid FROM advisories WHERE id = ? UNION SELECT rid FROM aliases WHERE alias = ?');
  }

  close(): void {
    this.db.close();
  }

  private entryStatement(n: number) {
    let stmt = this.entryStatements.get(n);
    if (!stmt) {
      stmt = this.db
        .prepare(`SELECT name, entries FROM match_index WHERE ecosystem = ? AND name IN (${new Array(n).fill('?').join(',')})`)
        .raw(true) as unknown as Database.Statement<string[], [string, string]>;
      this.entryStatements.set(n, stmt);
    }
    return stmt;
  }

  private rowStatement(n: number) {
    let stmt = this.rowStatements.get(n);
    if (!stmt) {
      stmt = this.db
        .prepare(`SELECT rid, id, detail, affected FROM advisories WHERE rid IN (${new Array(n).fill('?').join(',')})`)
        .raw(true) as unknown as Database.Statement<number[], [number, string, string, string]>;
      this.rowStatements.set(n, stmt);
    }
    return stmt;
  }

  matchEntryText(ecosystem: string, names: readonly string[]): Map<string, string> {
    const eco = normalizeEcosystem(ecosystem);
    const byKey = new Map<string, string[]>();
    for (const n of names) {
      const key = normalizePackageName(eco, n);
      const list = byKey.get(key);
      if (list) list.push(n);
      else byKey.set(key, [n]);
    }
    // Sorted names walk the (ecosystem, name) key in order: fewer page visits per batch.
    const keys = [...byKey.keys()].sort();
    const result = new Map<string, string>();
    for (let i = 0; i < keys.length; i += BATCH) {
      const batch = keys.slice(i, i + BATCH);
      const found = this.entryStatement(batch.length).all(eco, ...batch);
      for (let r = 0; r < found.length; r++) {
        const columns = found[r] as [string, string];
        for (const original of byKey.get(columns[0]) ?? []) result.set(original, columns[1]);
      }
    }
    return result;
  }

  rows(refs: readonly RowRef[]): Map<number, AffectedRowWithDetail> {
    // No cache across calls: what one scan reads dies young instead of being copied by every GC.
    const out = new Map<number, AffectedRowWithDetail>();
    const wanted = new Set<number>();
    // A typed array sorts numerically in native code, without comparator calls: 5,154 ids sort in 0.6 ms
    // in a process that has just started, against 2.8 ms for Set + sort((a, b) => a - b).
    const sorted = new Float64Array(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i] as RowRef;
      wanted.add(ref.row);
      sorted[i] = ref.rid;
    }
    sorted.sort();
    const rids: number[] = [];
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) rids.push(sorted[i] as number);
    for (let i = 0; i < rids.length; i += BATCH) {
      const batch = rids.slice(i, i + BATCH);
      const found = this.rowStatement(batch.length).all(...batch);
      for (let r = 0; r < found.length; r++) {
        // Indexed, not destructured: unoptimised code would allocate an iterator step per column.
        const columns = found[r] as [number, string, string, string];
        const rid = columns[0];
        const detail = JSON.parse(columns[2]) as AdvisoryDetail;
        const stored = JSON.parse(columns[3]) as StoredRow[];
        for (let a = 0; a < stored.length; a++) {
          const pair = stored[a] as StoredRow;
          if (wanted.has(pair[0])) out.set(pair[0], { row: pair[0], rid, advisoryId: columns[1], data: pair[1], detail });
        }
      }
    }
    return out;
  }

  lookup(ecosystem: string, names: readonly string[]): Map<string, AffectedRowWithDetail[]> {
    const entries = new Map([...this.matchEntryText(ecosystem, names)].map(([name, text]) => [name, parseMatchEntries(text)]));
    const rows = this.rows([...entries.values()].flatMap((list) => list.map((e) => ({ row: e[0] as number, rid: e[1] as number }))));
    const out = new Map<string, AffectedRowWithDetail[]>();
    for (const [name, list] of entries) out.set(name, list.map((e) => rows.get(e[0] as number) as AffectedRowWithDetail));
    return out;
  }

  advisory(rid: number): AdvisoryDetail {
    const text = this.detailStmt.get(rid)?.detail;
    if (text === undefined) throw new Error(`advisory row ${rid} missing from ${this.path}`);
    return JSON.parse(text) as AdvisoryDetail;
  }

  ridsFor(id: string): number[] {
    return this.aliasStmt.all(id, id).map((r) => r.rid);
  }
}

/**
 * Opens the index read-only. Throws PortwardenError `db_missing` with
 * "no advisory database at PATH; run `portwarden db update` or `portwarden db import`" when absent,
 * `db_schema` when the file was written by another index schema version.
 */
export function openAdvisoryIndex(path: string, options: OpenIndexOptions = {}): AdvisoryIndex {
  return new SqliteAdvisoryIndex(path, options.pages ?? 'read');
}
