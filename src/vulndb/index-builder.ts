/**
 * Writes an advisory index: a new file next to the target (empty, or a private copy of the current
 * one for a merge import), renamed over the target by commit() — never a half-written file in place.
 * Layout and reading: store.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PortwardenError, errorMessage } from '../util/errors.ts';
import { normalizeEcosystem, normalizePackageName } from './names.ts';
import { encodeMatchEntry, eventOrderFingerprint } from './match-entries.ts';
import { cveIdsOf } from './osv.ts';
import type { OsvRecord } from './osv.ts';
import { SCHEMA_VERSION } from './store.ts';
import type { SourceRow, StoredAffected, StoredRow } from './store.ts';

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources (
  name TEXT PRIMARY KEY, url TEXT, format TEXT, records INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0,
  etag TEXT, last_modified TEXT, sha256 TEXT, imported_at TEXT NOT NULL
);
CREATE TABLE advisories (
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL, modified TEXT NOT NULL,
  withdrawn TEXT, detail TEXT NOT NULL, affected TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE affected (rid INTEGER NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL, match TEXT NOT NULL);
CREATE TABLE aliases (alias TEXT NOT NULL, rid INTEGER NOT NULL);
CREATE INDEX affected_rid ON affected (rid);
CREATE INDEX aliases_rid ON aliases (rid);
`;
// The lookup structures are built after the bulk load (building once beats maintaining per insert);
// the rid indexes exist from the start because replacing a record deletes by rid. `match_index`
// holds, per (ecosystem, name), the JSON array of the `match` entries of its rows in row order, each
// prefixed with its row id and its advisory's rid: matching reads one row per package name
// (match-entries.ts), then one advisory row per candidate.
const INDEXES = `
CREATE INDEX IF NOT EXISTS aliases_alias ON aliases (alias);
DROP TABLE IF EXISTS match_index;
CREATE TABLE match_index (ecosystem TEXT NOT NULL, name TEXT NOT NULL, entries TEXT NOT NULL, PRIMARY KEY (ecosystem, name)) WITHOUT ROWID;
INSERT INTO match_index (ecosystem, name, entries)
  SELECT ecosystem, name, '[' || group_concat('[' || rowid || ',' || rid || ',' || match || ']', ',' ORDER BY rowid) || ']'
  FROM affected GROUP BY ecosystem, name ORDER BY ecosystem, name;
DROP TABLE IF EXISTS ecosystem_counts;
CREATE TABLE ecosystem_counts (ecosystem TEXT PRIMARY KEY, advisories INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO ecosystem_counts (ecosystem, advisories) SELECT ecosystem, COUNT(DISTINCT rid) FROM affected GROUP BY ecosystem;
`;

/** The normalised (ecosystem, name) an affected package is stored and looked up under. */
interface LookupKey {
  ecosystem: string;
  name: string;
}

function lookupKey(ecosystem: string, name: string): LookupKey {
  return { ecosystem: normalizeEcosystem(ecosystem), name: normalizePackageName(ecosystem, name) };
}

interface StorableRow extends LookupKey {
  stored: StoredAffected;
}

/** The affected entries of a record that can match a package version, as stored. */
function storableRows(affected: NonNullable<OsvRecord['affected']>): StorableRow[] {
  const rows: StorableRow[] = [];
  for (const a of affected) {
    if (!a.package) continue;
    const stored: StoredAffected = { name: a.package.name, ecosystem: a.package.ecosystem };
    if (a.package.purl) stored.purl = a.package.purl;
    const ranges = (a.ranges ?? []).filter((r) => r.type !== 'GIT');
    if (ranges.length) stored.ranges = ranges.map((r) => ({ type: r.type, events: r.events }));
    if (a.versions?.length) stored.versions = a.versions;
    if (a.ecosystem_specific) stored.ecosystem_specific = a.ecosystem_specific;
    if (a.database_specific) stored.database_specific = a.database_specific;
    if (a.severity) stored.severity = a.severity;
    if (!stored.ranges && !stored.versions) continue; // GIT-only entries cannot match a package version
    rows.push({ ...lookupKey(a.package.ecosystem, a.package.name), stored });
  }
  return rows;
}

export type UpsertMode = 'replace' | 'merge-affected';

export interface BuildResult {
  path: string;
  snapshot: string;
  builtAt: string;
  advisories: number;
}

/** The builder's statements, prepared once per build. */
interface BuilderStatements {
  find: Database.Statement<[string], { rid: number; modified: string }>;
  insertAdvisory: Database.Statement<[number, string, string, string, string | null, string, string]>;
  updateAdvisory: Database.Statement<[string, string, string | null, string, string, number]>;
  affectedOf: Database.Statement<[number], { affected: string }>;
  setAffected: Database.Statement<[string, number]>;
  deleteAffected: Database.Statement<[number]>;
  deleteAffectedPkg: Database.Statement<[number, string, string]>;
  insertAffected: Database.Statement<[number, number, string, string, string]>;
  deleteAliases: Database.Statement<[number]>;
  insertAlias: Database.Statement<[string, number]>;
  aliasesOf: Database.Statement<[number], { alias: string }>;
}

function prepareStatements(db: Database.Database): BuilderStatements {
  return {
    find: db.prepare('SELECT rid, modified FROM advisories WHERE id = ?'),
    insertAdvisory: db.prepare('INSERT INTO advisories (rid, id, source, modified, withdrawn, detail, affected) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    updateAdvisory: db.prepare('UPDATE advisories SET source = ?, modified = ?, withdrawn = ?, detail = ?, affected = ? WHERE rid = ?'),
    affectedOf: db.prepare('SELECT affected FROM advisories WHERE rid = ?'),
    setAffected: db.prepare('UPDATE advisories SET affected = ? WHERE rid = ?'),
    deleteAffected: db.prepare('DELETE FROM affected WHERE rid = ?'),
    deleteAffectedPkg: db.prepare('DELETE FROM affected WHERE rid = ? AND ecosystem = ? AND name = ?'),
    insertAffected: db.prepare('INSERT INTO affected (rowid, rid, ecosystem, name, match) VALUES (?, ?, ?, ?, ?)'),
    deleteAliases: db.prepare('DELETE FROM aliases WHERE rid = ?'),
    insertAlias: db.prepare('INSERT INTO aliases (alias, rid) VALUES (?, ?)'),
    aliasesOf: db.prepare('SELECT alias FROM aliases WHERE rid = ?'),
  };
}

/**
 * Builds a new index file. With `base`, the new file starts as a copy of that database (merge);
 * without, empty. Nothing is visible at `target` until `commit()` renames the file into place.
 */
export class IndexBuilder {
  readonly tempPath: string;
  private db: Database.Database;
  private readonly target: string;
  private readonly stmts: BuilderStatements;
  private finished = false;
  /**
   * Ids for new advisory and affected rows, assigned here rather than by SQLite so an advisory's row
   * can be written once, with its affected rows' ids in `advisories.affected`. Only ever increase.
   */
  private nextRid: number;
  private nextRow: number;

  constructor(target: string, options: { base?: string | undefined } = {}) {
    this.target = path.resolve(target);
    mkdirSync(path.dirname(this.target), { recursive: true });
    this.tempPath = `${this.target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fresh = !options.base;
    if (options.base) copyFileSync(options.base, this.tempPath);
    this.db = new Database(this.tempPath);
    try {
      // The temp file is private until the rename, so durability during the load buys nothing.
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('temp_store = MEMORY');
      if (fresh) this.db.exec(SCHEMA);
      else upgradeBase(this.db, options.base as string);
      this.stmts = prepareStatements(this.db);
      const maxIds = this.db.prepare<[], { rid: number; row: number }>('SELECT (SELECT COALESCE(MAX(rid), 0) FROM advisories) AS rid, (SELECT COALESCE(MAX(rowid), 0) FROM affected) AS row').get();
      this.nextRid = (maxIds?.rid ?? 0) + 1;
      this.nextRow = (maxIds?.row ?? 0) + 1;
      this.db.exec('BEGIN');
    } catch (err) {
      // Nothing of a failed start stays behind: no open handle, no temp file.
      this.db.close();
      rmSync(this.tempPath, { force: true });
      if (err instanceof PortwardenError) throw err;
      throw new PortwardenError('db_schema', `cannot build on advisory database ${options.base}: ${errorMessage(err)}; rebuild it with \`portwarden db import --replace\``, { cause: err });
    }
  }

  /**
   * Adds or updates one record. `replace` (OSV files): an existing record with the same id is
   * replaced when the new one is at least as recent. `merge-affected` (records converted from distro
   * feeds, where one id gathers entries from many files): the new entries replace only the existing
   * entries for the same (ecosystem, package).
   */
  upsert(record: OsvRecord, source: string, mode: UpsertMode = 'replace'): 'inserted' | 'updated' | 'skipped' {
    const { affected, ...rest } = record;
    const existing = this.stmts.find.get(record.id);
    if (existing && mode === 'replace' && existing.modified > record.modified) return 'skipped';
    // Withdrawn records stay listed (status, explain) but never reach matching.
    const rows = record.withdrawn ? [] : storableRows(affected ?? []);
    if (!existing) {
      const rid = this.nextRid++;
      this.stmts.insertAdvisory.run(rid, record.id, source, record.modified, record.withdrawn ?? null, JSON.stringify(rest), JSON.stringify(this.insertRows(rid, rows)));
      for (const alias of this.aliasKeys(record)) this.stmts.insertAlias.run(alias, rid);
      return 'inserted';
    }
    const rid = existing.rid;
    if (mode === 'replace') {
      this.stmts.deleteAffected.run(rid);
      this.stmts.updateAdvisory.run(source, record.modified, record.withdrawn ?? null, JSON.stringify(rest), JSON.stringify(this.insertRows(rid, rows)), rid);
      this.stmts.deleteAliases.run(rid);
      for (const alias of this.aliasKeys(record)) this.stmts.insertAlias.run(alias, rid);
      return 'updated';
    }
    // merge-affected: the record's packages replace the stored rows for the same (ecosystem, package).
    const replaced = new Set<string>();
    for (const a of affected ?? []) {
      if (!a.package) continue;
      const key = lookupKey(a.package.ecosystem, a.package.name);
      this.stmts.deleteAffectedPkg.run(rid, key.ecosystem, key.name);
      replaced.add(`${key.ecosystem}\0${key.name}`);
    }
    const kept = (JSON.parse(this.stmts.affectedOf.get(rid)?.affected ?? '[]') as StoredRow[]).filter(([, stored]) => {
      const key = lookupKey(stored.ecosystem, stored.name);
      return !replaced.has(`${key.ecosystem}\0${key.name}`);
    });
    this.stmts.setAffected.run(JSON.stringify([...kept, ...this.insertRows(rid, rows)]), rid);
    const known = new Set(this.stmts.aliasesOf.all(rid).map((r) => r.alias));
    for (const alias of this.aliasKeys(record)) if (!known.has(alias)) this.stmts.insertAlias.run(alias, rid);
    return 'updated';
  }

  /** Adds the lookup rows of one advisory's affected entries; returns them as kept in `advisories.affected`. */
  private insertRows(rid: number, rows: StorableRow[]): StoredRow[] {
    const stored: StoredRow[] = [];
    for (const r of rows) {
      const row = this.nextRow++;
      this.stmts.insertAffected.run(row, rid, r.ecosystem, r.name, encodeMatchEntry(r.stored, r.ecosystem));
      stored.push([row, r.stored]);
    }
    return stored;
  }

  private aliasKeys(record: OsvRecord): string[] {
    return [...new Set([...(record.aliases ?? []), ...(record.upstream ?? []), ...cveIdsOf(record)])].filter((a) => a !== record.id);
  }

  /** Removes every record a source contributed (before re-importing that source's fresh export). */
  deleteSource(name: string): void {
    this.db.prepare('DELETE FROM affected WHERE rid IN (SELECT rid FROM advisories WHERE source = ?)').run(name);
    this.db.prepare('DELETE FROM aliases WHERE rid IN (SELECT rid FROM advisories WHERE source = ?)').run(name);
    this.db.prepare('DELETE FROM advisories WHERE source = ?').run(name);
    this.db.prepare('DELETE FROM sources WHERE name = ?').run(name);
  }

  setSource(row: SourceRow): void {
    this.db
      .prepare(
        `INSERT INTO sources (name, url, format, records, invalid, etag, last_modified, sha256, imported_at)
         VALUES (@name, @url, @format, @records, @invalid, @etag, @last_modified, @sha256, @imported_at)
         ON CONFLICT(name) DO UPDATE SET url = excluded.url, format = excluded.format, records = excluded.records,
           invalid = excluded.invalid, etag = excluded.etag, last_modified = excluded.last_modified,
           sha256 = excluded.sha256, imported_at = excluded.imported_at`,
      )
      .run({
        name: row.name, url: row.url ?? null, format: row.format ?? null, records: row.records, invalid: row.invalid,
        etag: row.etag ?? null, last_modified: row.last_modified ?? null, sha256: row.sha256 ?? null, imported_at: row.imported_at,
      });
  }

  /** Finishes the file (indexes, meta, snapshot id) and atomically renames it over the target. */
  commit(): BuildResult {
    if (this.finished) throw new Error('index builder already finished');
    this.db.exec('COMMIT');
    this.db.exec(`BEGIN; ${INDEXES}; COMMIT`);
    // Snapshot id = content hash, so two builds from the same data get the same id.
    const hash = createHash('sha256');
    let advisories = 0;
    let withdrawn = 0;
    for (const row of this.db.prepare<[], { id: string; modified: string; withdrawn: string | null }>('SELECT id, modified, withdrawn FROM advisories ORDER BY id').iterate()) {
      hash.update(`${row.id}\0${row.modified}\0${row.withdrawn ?? ''}\n`);
      advisories++;
      if (row.withdrawn !== null) withdrawn++;
    }
    for (const row of this.db
      .prepare<[], { n: number; h: string }>('SELECT (SELECT COUNT(*) FROM affected) AS n, (SELECT COALESCE(SUM(length(affected)), 0) FROM advisories) AS h')
      .iterate()) {
      hash.update(`${row.n}:${row.h}`);
    }
    const snapshot = hash.digest('hex').slice(0, 16);
    const builtAt = new Date().toISOString();
    const setMeta = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    setMeta.run('schema_version', String(SCHEMA_VERSION));
    setMeta.run('snapshot', snapshot);
    setMeta.run('built_at', builtAt);
    setMeta.run('event_order', eventOrderFingerprint());
    // Counted here, once, so `db status` and `db update` need not scan every advisory row of the file.
    setMeta.run('advisories', String(advisories));
    setMeta.run('withdrawn', String(withdrawn));
    this.db.exec('ANALYZE');
    this.db.close();
    this.finished = true;
    renameSync(this.tempPath, this.target);
    return { path: this.target, snapshot, builtAt, advisories };
  }

  abort(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.db.close();
    } finally {
      rmSync(this.tempPath, { force: true });
    }
  }
}

/** Brings a merge base (the builder's private copy) to this build's layout, or refuses an unknown one. */
function upgradeBase(db: Database.Database, base: string): void {
  const version = Number(db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value);
  if (version === SCHEMA_VERSION) return;
  if (version === 1) {
    upgradeFromV1(db);
    upgradeFromV2(db);
  } else if (version === 2) upgradeFromV2(db);
  else {
    throw new PortwardenError(
      'db_schema',
      `advisory database ${base} has index schema ${Number.isNaN(version) ? '?' : version}, this build writes ${SCHEMA_VERSION}; rebuild it with \`portwarden db import --replace\``,
    );
  }
}

/**
 * Schema 1 → 2 inside a builder's private copy: the match entries are computed from each row's stored
 * JSON (what an import would have written), and the (ecosystem, name) index gives way to
 * `match_index`, which commit() builds. Records imported earlier are kept, so `db update` and a
 * merge `db import` work on an index written by an older build.
 */
function upgradeFromV1(db: Database.Database): void {
  db.function('portwarden_match_entry', { deterministic: true }, (ecosystem: unknown, data: unknown) =>
    encodeMatchEntry(JSON.parse(String(data)) as StoredAffected, String(ecosystem)),
  );
  db.exec(`
    DROP INDEX IF EXISTS affected_lookup;
    ALTER TABLE affected ADD COLUMN match TEXT NOT NULL DEFAULT '';
    UPDATE affected SET match = portwarden_match_entry(ecosystem, data);
  `);
}

/**
 * Schema 2 → 3 inside a builder's private copy: each advisory gathers its affected rows' JSON, in row
 * order, and `affected` drops the column. Row ids are kept, so the entries commit() rebuilds point
 * at the same rows.
 */
function upgradeFromV2(db: Database.Database): void {
  db.exec(`
    ALTER TABLE advisories ADD COLUMN affected TEXT NOT NULL DEFAULT '[]';
    UPDATE advisories SET affected = (
      SELECT json_group_array(json_array(f.rowid, json(f.data)) ORDER BY f.rowid) FROM affected f WHERE f.rid = advisories.rid
    ) WHERE rid IN (SELECT rid FROM affected);
    ALTER TABLE affected DROP COLUMN data;
  `);
}
