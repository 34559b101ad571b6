/**
 * Verified tokens are remembered per store handle (src/store/tokens.ts): a revocation through the
 * same handle is effective at once, even when it overlaps a verification; one through another
 * handle (another process, e.g. `portwarden token revoke`) within VERIFIED_TOKEN_TTL_MS.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/database.ts';
import { VERIFIED_TOKEN_TTL_MS, createToken, revokeToken, verifyToken } from '../../src/store/tokens.ts';
import { withPostgres } from '../helpers/postgres.ts';

describe('verified-token cache', () => {
  test('same handle: revocation is immediate, also when it overlaps a verification', async (t) => {
    const store = await openStore({ dataDir: 'memory://' });
    t.after(() => store.close());
    const tok = await createToken(store.db, 'ci', ['scan:read']);
    assert.equal((await verifyToken(store.db, tok.token))?.name, 'ci');
    assert.equal((await verifyToken(store.db, tok.token))?.name, 'ci', 'from the cache');
    assert.ok(await revokeToken(store.db, 'ci'));
    assert.equal(await verifyToken(store.db, tok.token), undefined);

    const other = await createToken(store.db, 'other', ['scan:read']);
    const [during] = await Promise.all([verifyToken(store.db, other.token), revokeToken(store.db, 'other')]);
    assert.ok(during === undefined || during.name === 'other');
    assert.equal(await verifyToken(store.db, other.token), undefined, 'an overlapping verification is not remembered');
  });

  test('another handle on PostgreSQL: revocation is effective within the TTL', async (t) => {
    const pgdb = await withPostgres(t);
    if (!pgdb) return;
    const a = await openStore({ databaseUrl: pgdb.url });
    const b = await openStore({ databaseUrl: pgdb.url, migrate: false });
    t.after(async () => { await a.close(); await b.close(); await pgdb.drop(); });
    const tok = await createToken(a.db, 'ci', ['scan:read']);
    assert.equal((await verifyToken(a.db, tok.token))?.name, 'ci');
    assert.ok(await revokeToken(b.db, 'ci'));
    const revokedAt = Date.now();
    assert.equal(await verifyToken(b.db, tok.token), undefined, 'the revoking handle knows at once');
    while (await verifyToken(a.db, tok.token)) {
      assert.ok(Date.now() - revokedAt <= VERIFIED_TOKEN_TTL_MS + 100, 'still accepted after the TTL');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
