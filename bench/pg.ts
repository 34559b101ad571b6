/**
 * A throwaway PostgreSQL database for service benches, on PORTWARDEN_BENCH_DATABASE_URL's server
 * (default: the machine's 127.0.0.1:5432, user postgres). Kept apart from bench/lib.ts so benches
 * that need no database don't load pg.
 */
import pg from 'pg';

export const BENCH_SERVER_URL = process.env.PORTWARDEN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase { url: string; drop: () => Promise<void> }

/** Creates `<prefix>_<time>` on the server; undefined when the server can't be reached. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase | undefined> {
  const admin = new pg.Client({ connectionString: BENCH_SERVER_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `${prefix}_${Date.now().toString(36)}`;
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(BENCH_SERVER_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: BENCH_SERVER_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
