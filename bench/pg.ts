/**
 * A throwaway PostgreSQL database for service benches, on PORTWARDEN_BENCH_DATABASE_URL's server
 * (default: the machine's 127.0.0.1:5432, user postgres), made by the tests' own helper. Kept apart
 * from bench/lib.ts so benches that need no database don't load pg.
 */
import { createDatabase, postgresReachable } from '../test/helpers/postgres.ts';
import type { TestDatabase } from '../test/helpers/postgres.ts';

export const BENCH_SERVER_URL = process.env.PORTWARDEN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchDatabase = TestDatabase;

/** Creates `<prefix>_<time>` on the server; undefined when the server can't be reached. */
export async function createBenchDatabase(prefix: string): Promise<BenchDatabase | undefined> {
  if (!(await postgresReachable(BENCH_SERVER_URL))) return undefined;
  return createDatabase(BENCH_SERVER_URL, `${prefix}_${Date.now().toString(36)}`);
}
