/**
 * Anonymous-access policy, scopes, rate limits and body limits on a real server (embedded store):
 * the defaults a user gets without configuring anything.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { startService } from '../../src/service/server.ts';
import type { ServiceHandle } from '../../src/service/server.ts';
import { buildApp } from '../../src/service/app.ts';
import { TargetGuard } from '../../src/service/target-guard.ts';
import { createToken, revokeToken } from '../../src/store/tokens.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

describe('auth defaults and limits', () => {
  let svc: ServiceHandle;
  let home: string;

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'pw-auth-'));
    const cfg = loadConfig({ env: {}, flags: { home, port: 0, worker: false, allowRegistries: ['registry.test'], rateLimitMax: 1000, logLevel: 'silent' } });
    svc = await startService(cfg, { api: true, storeDir: 'memory://', logger: createLogger('silent'), defaultMetrics: false });
  });
  after(async () => {
    await svc?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const appWith = (over: { boundToLoopback: boolean; allowAnonymous?: boolean; rateLimitMax?: number }) => buildApp({
    db: svc.store.db, queue: svc.queue, objects: svc.objects, guard: new TargetGuard({ allowRegistries: ['registry.test'] }), log: createLogger('silent'),
    metrics: svc.metrics, rateLimitWindowSeconds: 60, bodyLimitBytes: 65536, advisoryDbPath: path.join(home, 'none.db'), ping: svc.store.ping,
    rateLimitMax: over.rateLimitMax ?? 1000, boundToLoopback: over.boundToLoopback, ...(over.allowAnonymous !== undefined ? { allowAnonymous: over.allowAnonymous } : {}),
  });

  test('loopback + no tokens: anonymous allowed; the first token turns it off', async () => {
    const app = await appWith({ boundToLoopback: true });
    assert.equal((await app.inject({ method: 'GET', url: '/scans' })).statusCode, 200);
    const tok = await createToken(svc.store.db, 'first', ['scan:read']);
    const app2 = await appWith({ boundToLoopback: true });
    const res = await app2.inject({ method: 'GET', url: '/scans' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'unauthorized');
    assert.equal((await app2.inject({ method: 'GET', url: '/scans', headers: { authorization: `Bearer ${tok.token}` } })).statusCode, 200);
    assert.equal((await app2.inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/a:1' }, headers: { authorization: `Bearer ${tok.token}` } })).statusCode, 403);
    await assert.rejects(createToken(svc.store.db, 'first', ['admin']), /already exists/);
    assert.ok(await revokeToken(svc.store.db, 'first'));
    assert.equal((await app2.inject({ method: 'GET', url: '/scans', headers: { authorization: `Bearer ${tok.token}` } })).statusCode, 401, 'revoked');
    await app.close();
    await app2.close();
  });

  test('not on loopback: anonymous refused unless explicitly allowed; health stays public', async () => {
    const app = await appWith({ boundToLoopback: false });
    assert.equal((await app.inject({ method: 'GET', url: '/scans' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/a:1' } })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode, 200);
    const open = await appWith({ boundToLoopback: false, allowAnonymous: true });
    assert.equal((await open.inject({ method: 'GET', url: '/scans' })).statusCode, 200);
    await app.close();
    await open.close();
  });

  test('rate limit per token / per IP → 429; body limit → 413', async () => {
    const app = await appWith({ boundToLoopback: false, allowAnonymous: true, rateLimitMax: 5 });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await app.inject({ method: 'GET', url: '/scans', remoteAddress: '10.9.9.9' })).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await app.inject({ method: 'GET', url: '/scans', remoteAddress: '10.9.9.9' });
    assert.equal(limited.json().error, 'rate_limited');
    assert.ok(limited.headers['retry-after']);
    // Another client IP has its own budget; so does a token.
    assert.equal((await app.inject({ method: 'GET', url: '/scans', remoteAddress: '10.9.9.10' })).statusCode, 200);
    const tok = await createToken(svc.store.db, 'limited', ['scan:read']);
    assert.equal((await app.inject({ method: 'GET', url: '/scans', remoteAddress: '10.9.9.9', headers: { authorization: `Bearer ${tok.token}` } })).statusCode, 200);
    const big = await app.inject({ method: 'POST', url: '/scans', remoteAddress: '10.1.1.1', payload: JSON.stringify({ type: 'docker-image', target: 'registry.test/a:1', x: 'y'.repeat(66000) }), headers: { 'content-type': 'application/json' } });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error, 'payload_too_large');
    await app.close();
  });
});
