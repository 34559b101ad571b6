/**
 * A fresh PostgreSQL database per suite on the machine's server (127.0.0.1:5432, user postgres,
 * trust auth), dropped afterwards. PORTWARDEN_TEST_DATABASE_URL points at another server (its
 * database part is replaced by the fresh one). Unreachable: fails under CI, skips elsewhere.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestContext } from 'node:test';
import { IN_CI, requireOrSkip } from './shared-data.ts';

export const TEST_SERVER_URL = process.env.PORTWARDEN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function postgresReachable(serverUrl = TEST_SERVER_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates the database, or returns undefined when no server is reachable outside CI (the caller
 * skips). Pass the suite's TestContext to get requireOrSkip's skip/fail behaviour directly.
 */
export async function withPostgres(t?: TestContext): Promise<TestDatabase | undefined> {
  const reachable = await postgresReachable();
  if (!reachable) {
    if (t) {
      requireOrSkip(t, false, `PostgreSQL at ${TEST_SERVER_URL}`);
      return undefined;
    }
    if (IN_CI) throw new Error(`PostgreSQL required under CI but unreachable at ${TEST_SERVER_URL}`);
    return undefined;
  }
  return createDatabase(TEST_SERVER_URL, `pw_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`);
}

/** Creates database `name` on the server at `serverUrl`; `drop` removes it, forcing out open sessions. */
export async function createDatabase(serverUrl: string, name: string): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
