/**
 * Opens the store: PGlite in-process (default, data under $PORTWARDEN_HOME/store) or PostgreSQL
 * (`postgres://…`). Both are reached through a node-postgres Pool, so Kysely's stock Postgres
 * dialect and pg-boss run unchanged on either; PGlite's pg adapter exposes one connection, which
 * also serialises transactions against it.
 */
import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { migrateToLatest } from './migrations.ts';
import { PortwardenError, errorMessage } from '../util/errors.ts';

export interface StoreHandle {
  kind: 'pglite' | 'postgres';
  db: Kysely<Database>;
  /** Runs raw SQL for pg-boss (text may hold several statements when values is empty). */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  databaseUrl?: string;
  /** PGlite data directory (`memory://` for a throwaway store). */
  dataDir?: string;
  poolSize?: number;
  migrate?: boolean;
}

export async function openStore(opts: OpenStoreOptions): Promise<StoreHandle> {
  let pool: pg.Pool;
  let closeEngine: () => Promise<void> = async () => {};
  let kind: StoreHandle['kind'];
  if (opts.databaseUrl) {
    kind = 'postgres';
    pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10, application_name: 'portwarden' });
  } else {
    kind = 'pglite';
    const dataDir = opts.dataDir;
    if (!dataDir) throw new PortwardenError('store_config', 'embedded store needs a data directory');
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    let lite: InstanceType<typeof PGlite>;
    try {
      lite = await PGlite.create(dataDir);
    } catch (err) {
      throw new PortwardenError('store_open', `cannot open embedded store at ${dataDir}: ${errorMessage(err)} (is another portwarden process using it? use PostgreSQL for several processes)`, { cause: err });
    }
    pool = new pg.Pool(createPgConfig(lite) as unknown as pg.PoolConfig);
    closeEngine = async () => { await lite.close(); };
  }
  // Pool errors on idle clients (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch(() => {});
    await closeEngine().catch(() => {});
    const where = kind === 'postgres' ? redactUrl(opts.databaseUrl ?? '') : opts.dataDir;
    throw new PortwardenError('store_unreachable', `cannot reach the store (${where}): ${errorMessage(err)}`, { cause: err });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const handle: StoreHandle = {
    kind,
    db,
    executeSql: (text, values = []) => pool.query(text, values as unknown[]),
    ping: async () => { await pool.query('select 1'); },
    close: async () => {
      await db.destroy().catch(() => {});
      await closeEngine();
    },
  };
  if (opts.migrate !== false) {
    try {
      await migrateToLatest(db as unknown as Kysely<unknown>);
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  }
  return handle;
}

/** Hides the password in a connection URL for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '*****';
    return u.toString();
  } catch {
    return '(invalid database URL)';
  }
}
