/**
 * The advisory index file: its layout version, where it lives, what its rows hold, and opening it
 * read-only (matcher/advisory-index.ts reads it for matching; vulndb/index-builder.ts writes it).
 * Writers build a NEW file next to the target and rename it over the old one, so a scan never sees a
 * half-written database and a reader that already has the old file open keeps a valid inode.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PortwardenError } from '../util/errors.ts';
import type { OsvEvent } from './osv.ts';

/**
 * Version of the index file layout.
 * - 2: compact match entries (`affected.match`, `match_index`, see match-entries.ts) replace the
 *   (ecosystem, name) index on `affected`.
 * - 3: each advisory row carries the JSON of its affected rows (`advisories.affected`), so reading a
 *   candidate for evaluation touches one B-tree row instead of an `affected` row plus its advisory;
 *   `affected` keeps only what lookups are built from, and match entries carry the advisory's rid.
 * A reader refuses any other version; a merge import upgrades a version-1 or -2 base in its copy
 * (index-builder.ts, which also holds the tables' DDL: upgradeFromV1, upgradeFromV2).
 */
export const SCHEMA_VERSION = 3;

/** `$PORTWARDEN_HOME/db/advisories.db`, PORTWARDEN_HOME defaulting to ~/.portwarden. */
export function defaultDbPath(): string {
  const home = process.env.PORTWARDEN_HOME || path.join(os.homedir(), '.portwarden');
  return path.join(home, 'db', 'advisories.db');
}

/** One affected row as kept in `advisories.affected`: its row id in `affected`, and what it stores. */
export type StoredRow = [row: number, stored: StoredAffected];

/**
 * What one affected row stores: everything range evaluation and evidence need, nothing else. It is
 * kept in its advisory's row, in `advisories.affected`: a JSON array of `[rowId, StoredAffected]` pairs.
 */
export interface StoredAffected {
  /** Package name as the advisory spells it. */
  name: string;
  ecosystem: string;
  purl?: string;
  ranges?: { type: string; events: OsvEvent[] }[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
  severity?: { type: string; score: string }[];
}

export interface SourceRow {
  name: string;
  url?: string | undefined;
  format?: string | undefined;
  records: number;
  invalid: number;
  etag?: string | undefined;
  last_modified?: string | undefined;
  sha256?: string | undefined;
  imported_at: string;
}

export function missingDbError(dbPath: string): PortwardenError {
  return new PortwardenError('db_missing', `no advisory database at ${dbPath}; run \`portwarden db update\` or \`portwarden db import\``);
}

/** Opens an index read-only; throws a clear error when it does not exist or is not an index. */
export function openIndexDatabase(dbPath: string): Database.Database {
  if (!existsSync(dbPath)) throw missingDbError(dbPath);
  let db: Database.Database;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new PortwardenError('db_open', `cannot open advisory database ${dbPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
    const found = Number(version?.value);
    if (found !== SCHEMA_VERSION) {
      const why = found < SCHEMA_VERSION ? 'was built by an older Portwarden' : Number.isNaN(found) ? 'has no index schema version' : 'was built by a newer Portwarden';
      throw new PortwardenError(
        'db_schema',
        `advisory database ${dbPath} ${why} (index schema ${Number.isNaN(found) ? '?' : found}, this build reads ${SCHEMA_VERSION}); re-run \`portwarden db update\` or \`portwarden db import\` to rebuild it`,
      );
    }
  } catch (err) {
    db.close();
    if (err instanceof PortwardenError) throw err;
    throw new PortwardenError('db_open', `${dbPath} is not a Portwarden advisory database: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return db;
}

export interface DbStatus {
  path: string;
  schemaVersion: number;
  snapshot: string;
  builtAt: string;
  advisories: number;
  withdrawn: number;
  sources: SourceRow[];
  ecosystems: { ecosystem: string; advisories: number }[];
}

export function readDbStatus(dbPath: string): DbStatus {
  const db = openIndexDatabase(dbPath);
  try {
    const meta = new Map(db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));

    return {
      path: dbPath,
      schemaVersion: Number(meta.get('schema_version')),
      snapshot: meta.get('snapshot') ?? '',
      builtAt: meta.get('built_at') ?? '',
      // Counts stored by the build (IndexBuilder.commit): reading them is instant on any size of file.
      advisories: Number(meta.get('advisories') ?? 0),
      withdrawn: Number(meta.get('withdrawn') ?? 0),
      sources: db.prepare<[], SourceRow>('SELECT * FROM sources ORDER BY name').all(),
      ecosystems: db.prepare<[], { ecosystem: string; advisories: number }>('SELECT ecosystem, advisories FROM ecosystem_counts ORDER BY ecosystem').all(),
    };
  } finally {
    db.close();
  }
}
