/**
 * The scan service end to end through its real parts (HTTP API, pg-boss queue, workers, store,
 * object store) on BOTH the embedded store (PGlite) and real PostgreSQL, with an in-process scanner.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { startService } from '../../src/service/server.ts';
import type { ServiceHandle } from '../../src/service/server.ts';
import { createToken } from '../../src/store/tokens.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { withPostgres } from '../helpers/postgres.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { FakeScanner, vuln } from './fixtures.ts';
import { waitFor } from '../helpers/wait.ts';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`scan service on ${backend}`, () => {
    let svc: ServiceHandle;
    let pgdb: TestDatabase | undefined;
    let home: string;
    const scanner = new FakeScanner();
    let skip = false;

    before(async () => {
      if (backend === 'postgres') {
        pgdb = await withPostgres();
        if (!pgdb) { skip = true; return; }
      }
      home = mkdtempSync(path.join(os.tmpdir(), 'pw-svc-'));
      scanner.digests.set('registry.test/app:1', DIGEST_A);
      scanner.digests.set('registry.test/app@' + DIGEST_A, DIGEST_A);
      scanner.digests.set('registry.test/other:1', DIGEST_B);
      scanner.digests.set('registry.test/other@' + DIGEST_B, DIGEST_B);
      scanner.failures.set('registry.test/broken:1', 'registry returned 500 Internal Server Error for manifest');
      const cfg = loadConfig({
        env: {},
        flags: {
          home, port: 0, allowAnonymous: true, allowRegistries: ['registry.test'], concurrency: 2, leaseSeconds: 5,
          maxAttempts: 3, retryDelaySeconds: 1, maintenanceSeconds: 1, pollingSeconds: 0.5, shutdownTimeoutSeconds: 2, logLevel: 'silent',
          ...(pgdb ? { databaseUrl: pgdb.url } : {}),
        },
      });
      svc = await startService(cfg, { api: true, scanner, storeDir: 'memory://', logger: createLogger('silent'), defaultMetrics: false });
    });

    after(async () => {
      await svc?.close();
      await pgdb?.drop();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    const inject = (opts: { method: 'GET' | 'POST'; url: string; payload?: unknown; headers?: Record<string, string> }) => svc.app!.inject(opts as never);

    test('submit → queued → completed with findings; report and SBOM are served', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const res = await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/app:1' } });
      assert.equal(res.statusCode, 202, res.body);
      const body = res.json();
      assert.equal(body.status, 'queued');
      assert.equal(body.message, 'Scan request queued successfully');
      assert.equal(body.type, 'docker-image');
      assert.equal(body.target, 'registry.test/app:1');
      assert.match(body.scan_id, /^[0-9a-f-]{36}$/);
      const done = await waitFor('completion', async () => {
        const r = (await inject({ method: 'GET', url: `/scans/${body.scan_id}` })).json();
        return r.status === 'completed' ? r : undefined;
      });
      assert.equal(done.digest, DIGEST_A);
      assert.deepEqual(done.summary, { critical: 0, high: 0, medium: 1, low: 1, unknown: 0, total: 2 });
      assert.equal(done.attempts, 1);
      assert.equal(done.error, null);
      assert.ok(done.completed_at);
      const v = done.vulnerabilities.find((x: { cve_id: string }) => x.cve_id === 'CVE-2024-0727');
      assert.deepEqual([v.severity, v.package_name, v.installed_version, v.fixed_version], ['MEDIUM', 'openssl', '3.0.11-1~deb12u1', '3.0.13-1~deb12u1']);
      const rep = await inject({ method: 'GET', url: done.links.report_url });
      assert.equal(rep.statusCode, 200);
      assert.equal(rep.json().schema_version, 1);
      const sbom = await inject({ method: 'GET', url: done.links.sbom_url });
      assert.equal(sbom.statusCode, 200);
      assert.equal(sbom.json().packages[0].name, 'openssl');
      const img = (await inject({ method: 'GET', url: `/images/${DIGEST_A}` })).json();
      assert.equal(img.latest_scan_id, body.scan_id);
    });

    test('same digest again: inventory reused, re-matched only when the advisory snapshot changed', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const scansBefore = scanner.scans;
      const submit = async (target: string) => (await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target } })).json().scan_id as string;
      const finish = (id: string) => waitFor('completion', async () => {
        const r = (await inject({ method: 'GET', url: `/scans/${id}` })).json();
        return r.status === 'completed' ? r : undefined;
      });
      // Concurrent requests for one digest run one scan (the first one already cached it, so none here).
      const ids = await Promise.all([submit('registry.test/app:1'), submit(`registry.test/app@${DIGEST_A}`), submit('registry.test/app:1')]);
      const results = await Promise.all(ids.map(finish));
      assert.equal(scanner.scans, scansBefore);
      assert.deepEqual(results.map((r) => r.result_source), ['cache', 'cache', 'cache']);
      scanner.snapshot = 'snap-2';
      scanner.vulns = [...scanner.vulns, vuln('CVE-2025-0001', 'openssl', '3.0.11-1~deb12u1', 'CRITICAL', '3.0.16-1~deb12u1')];
      const again = await finish(await submit('registry.test/app:1'));
      assert.equal(again.result_source, 'rematch');
      assert.equal(again.summary.critical, 1);
      assert.equal(again.advisory_snapshot, 'snap-2');
      assert.equal(scanner.scans, scansBefore);
      // Upgraded analyzers: the stored inventory is rebuilt, not re-matched, then cached again.
      scanner.analyzers = 'analyzers-2';
      const rebuilt = await finish(await submit('registry.test/app:1'));
      assert.equal(rebuilt.result_source, 'scan');
      assert.equal(scanner.scans, scansBefore + 1);
      const reused = await finish(await submit('registry.test/app:1'));
      assert.equal(reused.result_source, 'cache');
      assert.equal(scanner.scans, scansBefore + 1);
    });

    test('concurrent first scans of one new digest pull the image once', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const before = scanner.scans;
      scanner.delayMs = 300;
      try {
        const ids = await Promise.all([1, 2, 3, 4].map(async () => (await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/other:1' } })).json().scan_id as string));
        const results = await Promise.all(ids.map((id) => waitFor('completion', async () => {
          const r = (await inject({ method: 'GET', url: `/scans/${id}` })).json();
          return r.status === 'completed' ? r : undefined;
        })));
        assert.equal(scanner.scans - before, 1);
        assert.equal(results.filter((r) => r.result_source === 'scan').length, 1);
      } finally {
        scanner.delayMs = 0;
      }
    });

    test('a failing registry: retries with backoff, then dead-letter with the last error; requeue works', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const id = (await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/broken:1' } })).json().scan_id;
      const failed = await waitFor('dead letter', async () => {
        const r = (await inject({ method: 'GET', url: `/scans/${id}` })).json();
        return r.status === 'failed' ? r : undefined;
      }, 60000);
      assert.equal(failed.attempts, 3);
      assert.match(failed.error, /500 Internal Server Error/);
      assert.ok(failed.dead_lettered_at);
      const dl = (await inject({ method: 'GET', url: '/dead-letter' })).json();
      assert.ok(dl.items.some((x: { scan_id: string; error: string }) => x.scan_id === id && /500/.test(x.error)));
      // A completed scan cannot be requeued; the dead one can, and then succeeds.
      scanner.failures.delete('registry.test/broken:1');
      const rq = await inject({ method: 'POST', url: `/dead-letter/${id}/requeue` });
      assert.equal(rq.statusCode, 202, rq.body);
      const ok = await waitFor('requeued completion', async () => {
        const r = (await inject({ method: 'GET', url: `/scans/${id}` })).json();
        return r.status === 'completed' ? r : undefined;
      });
      assert.equal(ok.error, null);
      assert.equal((await inject({ method: 'POST', url: `/scans/${id}/retry` })).statusCode, 409);
    });

    test('invalid input → 400 naming the problem; unknown ids → 404; SSRF targets refused', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const cases: Array<[unknown, RegExp]> = [
        [{ type: 'git-repo', target: 'registry.test/app:1' }, /type/],
        [{ type: 'docker-image' }, /target/],
        [{ type: 'docker-image', target: 'registry.test/UPPER:1' }, /lower case/],
        [{ type: 'docker-image', target: 'registry.test/app:1', extra: 1 }, /additional/],
        [{ type: 'docker-image', target: 'registry.test/app:1', platform: 'windows' }, /platform/],
        [{ type: 'docker-image', target: 'registry.test/app:1', priority: 'max' }, /priority/],
        [{ type: 'docker-image', target: '169.254.169.254/latest:1' }, /not in the allowed registries|link-local/],
        [{ type: 'docker-image', target: '10.0.0.1/x:1' }, /allowed|private/],
        [{ type: 'docker-image', target: 'oci:/etc/layout' }, /registry image/],
        ['not json', /./],
      ];
      for (const [payload, re] of cases) {
        const res = await inject({ method: 'POST', url: '/scans', payload: payload as object, headers: { 'content-type': 'application/json' } });
        assert.equal(res.statusCode, 400, `${JSON.stringify(payload)} → ${res.body}`);
        assert.match(res.json().message, re, JSON.stringify(payload));
        assert.doesNotMatch(res.body, /at .*\.ts:\d+/);
      }
      assert.equal((await inject({ method: 'GET', url: '/scans/not-a-uuid' })).statusCode, 400);
      assert.equal((await inject({ method: 'GET', url: '/scans/00000000-0000-4000-8000-000000000000' })).statusCode, 404);
      assert.equal((await inject({ method: 'GET', url: '/images/sha256:abc' })).statusCode, 400);
      assert.equal((await inject({ method: 'GET', url: `/images/sha256:${'c'.repeat(64)}` })).statusCode, 404);
      const big = await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/app:1', pad: 'x'.repeat(70000) } });
      assert.equal(big.statusCode, 413);
    });

    test('listing: filters and cursor pagination in a stable order', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const all = [];
      let cursor: string | null = null;
      do {
        const url: string = `/scans?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = (await inject({ method: 'GET', url })).json();
        assert.ok(page.items.length <= 2);
        all.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      const ids = all.map((s) => s.scan_id);
      assert.equal(new Set(ids).size, ids.length);
      const total = (await inject({ method: 'GET', url: '/scans?limit=200' })).json().items;
      assert.deepEqual(ids, total.map((s: { scan_id: string }) => s.scan_id));
      const times = all.map((s) => Date.parse(s.created_at));
      assert.deepEqual(times, [...times].sort((a, b) => b - a));
      const filtered = (await inject({ method: 'GET', url: `/scans?digest=${DIGEST_B}&status=completed` })).json().items;
      assert.ok(filtered.length >= 4 && filtered.every((s: { digest: string }) => s.digest === DIGEST_B));
      assert.equal((await inject({ method: 'GET', url: '/scans?cursor=garbage' })).statusCode, 400);
      assert.equal((await inject({ method: 'GET', url: '/scans?status=nope' })).statusCode, 400);
    });

    test('bulk rescan: every known image again by digest, at bulk priority, without pulling', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const pulls = scanner.scans;
      const res = await inject({ method: 'POST', url: '/rescans' });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json().queued, 2);
      const page = (await inject({ method: 'GET', url: '/scans?limit=2' })).json().items;
      assert.deepEqual(page.map((s: { target: string }) => s.target).sort(), [`registry.test/app@${DIGEST_A}`, `registry.test/other@${DIGEST_B}`]);
      assert.ok(page.every((s: { priority: string }) => s.priority === 'bulk'));
      for (const s of page) {
        const done = await waitFor('rescan', async () => {
          const r = (await inject({ method: 'GET', url: `/scans/${s.scan_id}` })).json();
          return r.status === 'completed' ? r : undefined;
        });
        assert.ok(['cache', 'rematch'].includes(done.result_source), done.result_source);
      }
      assert.equal(scanner.scans, pulls);
      assert.equal((await inject({ method: 'POST', url: '/rescans', payload: { limit: 0 } })).statusCode, 400);
    });

    test('health, readiness, metrics, OpenAPI', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      assert.equal((await inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      const ready = await inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503, 'no advisory DB in this home');
      assert.equal(ready.json().checks.store, 'ok');
      assert.equal(ready.json().checks.queue, 'ok');
      const metrics = (await inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /portwarden_scans\{status="completed"\} [1-9]/);
      assert.match(metrics, /portwarden_queue_depth \d/);
      assert.match(metrics, /portwarden_scan_job_duration_seconds_count\{outcome="cached"\} [1-9]/);
      assert.match(metrics, /portwarden_http_request_duration_seconds_bucket/);
      const spec = (await inject({ method: 'GET', url: '/openapi.json' })).json();
      assert.ok(spec.paths['/scans'].post);
      assert.ok(spec.paths['/scans/{scan_id}'].get);
      assert.ok(spec.paths['/dead-letter/{scan_id}/requeue'].post);
      const docs = await inject({ method: 'GET', url: '/docs/' });
      assert.ok([200, 302].includes(docs.statusCode));
      const dash = await inject({ method: 'GET', url: '/' });
      assert.match(dash.body, /registry\.test\/app:1/);
    });

    test('auth: tokens with scopes; 401 without or with a bad token, 403 for a missing scope', async (t) => {
      if (skip) return t.skip('PostgreSQL unavailable');
      const reader = await createToken(svc.store.db, `reader-${backend}`, ['scan:read']);
      const writer = await createToken(svc.store.db, `writer-${backend}`, ['scan:write', 'scan:read']);
      // The suite's server allows anonymous access explicitly; auth is still enforced for presented tokens.
      const bad = await inject({ method: 'GET', url: '/scans', headers: { authorization: 'Bearer pw_' + 'x'.repeat(43) } });
      assert.equal(bad.statusCode, 401);
      assert.match(bad.headers['www-authenticate'] as string, /Bearer/);
      assert.equal((await inject({ method: 'GET', url: '/scans', headers: { authorization: 'Basic abc' } })).statusCode, 401);
      assert.equal((await inject({ method: 'GET', url: '/scans', headers: { authorization: `Bearer ${reader.token}` } })).statusCode, 200);
      const denied = await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/app:1' }, headers: { authorization: `Bearer ${reader.token}` } });
      assert.equal(denied.statusCode, 403);
      const ok = await inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target: 'registry.test/app:1' }, headers: { authorization: `Bearer ${writer.token}` } });
      assert.equal(ok.statusCode, 202);
      assert.equal((await inject({ method: 'POST', url: `/dead-letter/${ok.json().scan_id}/requeue`, headers: { authorization: `Bearer ${writer.token}` } })).statusCode, 403);
    });
  });
}
