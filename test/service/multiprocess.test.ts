/**
 * Several real worker processes sharing one PostgreSQL store: a worker SIGKILLed mid-scan loses
 * nothing (the lease expires and another worker completes the job), and 1,000 submissions across
 * 3 workers are each done exactly once.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/index.ts';
import { startService } from '../../src/service/server.ts';
import type { ServiceHandle } from '../../src/service/server.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { withPostgres } from '../helpers/postgres.ts';
import type { TestDatabase } from '../helpers/postgres.ts';
import { FakeScanner } from './fixtures.ts';
import { waitFor as waitUntil } from '../helpers/wait.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60000): Promise<T> => waitUntil(what, fn, timeoutMs, 200);

function spawnWorker(flags: Record<string, unknown>, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'worker-process.ts')], {
    env: { ...process.env, PW_TEST_CONFIG: JSON.stringify(flags), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

describe('worker processes on PostgreSQL', () => {
  let pgdb: TestDatabase | undefined;
  let api: ServiceHandle;
  let home: string;
  const children: ChildProcess[] = [];
  let baseFlags: Record<string, unknown>;

  before(async () => {
    pgdb = await withPostgres();
    if (!pgdb) return;
    home = mkdtempSync(path.join(os.tmpdir(), 'pw-mp-'));
    baseFlags = {
      home, databaseUrl: pgdb.url, allowRegistries: ['registry.test'], leaseSeconds: 4, maxAttempts: 3, retryDelaySeconds: 1,
      maintenanceSeconds: 1, pollingSeconds: 0.5, shutdownTimeoutSeconds: 2, logLevel: 'silent',
    };
    const cfg = loadConfig({ env: {}, flags: { ...baseFlags, port: 0, worker: false, allowAnonymous: true, rateLimitMax: 100000 } });
    api = await startService(cfg, { api: true, scanner: new FakeScanner(), logger: createLogger('silent'), defaultMetrics: false });
  });

  after(async () => {
    await Promise.all(children.map((c) => stop(c, 'SIGKILL')));
    await api?.close();
    await pgdb?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const post = async (target: string) => {
    const res = await api.app!.inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target } });
    assert.equal(res.statusCode, 202, res.body);
    return res.json().scan_id as string;
  };
  const get = async (id: string) => (await api.app!.inject({ method: 'GET', url: `/scans/${id}` })).json();

  test('SIGKILL of a worker mid-scan: the job is completed by another worker after the lease expires', async (t) => {
    if (!pgdb) return t.skip('PostgreSQL unavailable');
    const log = path.join(home, 'kill.log');
    writeFileSync(log, '');
    const victim = await spawnWorker(baseFlags, { PW_TEST_STALL: 'registry.test/stall:1', PW_TEST_LOG: log });
    children.push(victim);
    const id = await post('registry.test/stall:1');
    await waitFor('victim picks the job', async () => ((await get(id)).status === 'scanning' && readFileSync(log, 'utf8').includes('stall') ? true : undefined));
    await stop(victim, 'SIGKILL');
    const rescuer = await spawnWorker(baseFlags, { PW_TEST_LOG: log });
    children.push(rescuer);
    const done = await waitFor('completion by the rescuer', async () => {
      const s = await get(id);
      return s.status === 'completed' ? s : undefined;
    });
    assert.equal(done.attempts, 2);
    assert.equal(done.summary.total, 2);
    const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
    assert.deepEqual(calls, [victim.pid, rescuer.pid]);
    await stop(rescuer);
  });

  test('SIGTERM: a scan that fits the grace period finishes; one that does not is released and completed elsewhere', async (t) => {
    if (!pgdb) return t.skip('PostgreSQL unavailable');
    const log = path.join(home, 'term.log');
    writeFileSync(log, '');
    const graceful = await spawnWorker({ ...baseFlags, shutdownTimeoutSeconds: 15 }, { PW_TEST_SLOW: 'registry.test/slow:1=2500', PW_TEST_LOG: log });
    children.push(graceful);
    const id = await post('registry.test/slow:1');
    await waitFor('scan started', async () => ((await get(id)).status === 'scanning' ? true : undefined));
    const exited = new Promise<number | null>((r) => graceful.once('exit', (code) => r(code)));
    graceful.kill('SIGTERM');
    assert.equal(await exited, 0);
    const done = await get(id);
    assert.equal(done.status, 'completed', 'finished within the grace period');
    assert.equal(done.attempts, 1);

    const impatient = await spawnWorker({ ...baseFlags, shutdownTimeoutSeconds: 1 }, { PW_TEST_SLOW: 'registry.test/slower:1=600000', PW_TEST_LOG: log });
    children.push(impatient);
    const id2 = await post('registry.test/slower:1');
    await waitFor('scan started', async () => ((await get(id2)).status === 'scanning' ? true : undefined));
    const exited2 = new Promise<number | null>((r) => impatient.once('exit', (code) => r(code)));
    impatient.kill('SIGTERM');
    assert.equal(await exited2, 0);
    const released = await get(id2);
    assert.equal(released.status, 'queued');
    assert.match(released.error, /released during worker shutdown/);
    const next = await spawnWorker(baseFlags, { PW_TEST_LOG: log });
    children.push(next);
    const finished = await waitFor('completion elsewhere', async () => {
      const s = await get(id2);
      return s.status === 'completed' ? s : undefined;
    });
    assert.equal(finished.attempts, 2);
    await stop(next);
  });

  test('priorities: urgent, then normal (API/push), then bulk rescans, whatever the submission order', async (t) => {
    if (!pgdb) return t.skip('PostgreSQL unavailable');
    const log = path.join(home, 'prio.log');
    writeFileSync(log, '');
    const submit = async (target: string, priority: string) => {
      const res = await api.app!.inject({ method: 'POST', url: '/scans', payload: { type: 'docker-image', target, priority } });
      assert.equal(res.statusCode, 202, res.body);
      return res.json().scan_id as string;
    };
    const ids = [
      await submit('registry.test/bulk-1:1', 'bulk'), await submit('registry.test/bulk-2:1', 'bulk'), await submit('registry.test/bulk-3:1', 'bulk'),
      await submit('registry.test/normal-1:1', 'normal'), await submit('registry.test/urgent-1:1', 'urgent'), await submit('registry.test/normal-2:1', 'normal'),
    ];
    const worker = await spawnWorker({ ...baseFlags, concurrency: 1 }, { PW_TEST_LOG: log });
    children.push(worker);
    await waitFor('all done', async () => {
      const states = await Promise.all(ids.map(async (id) => (await get(id)).status));
      return states.every((s) => s === 'completed') ? true : undefined;
    });
    const order = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[1]!.replace(/^registry\.test\/|:1$/g, ''));
    assert.equal(order[0], 'urgent-1');
    assert.deepEqual(order.slice(1, 3).sort(), ['normal-1', 'normal-2']);
    assert.deepEqual(order.slice(3).sort(), ['bulk-1', 'bulk-2', 'bulk-3']);
    await stop(worker);
  });

  test('1,000 submissions across 3 worker processes: each done exactly once', async (t) => {
    if (!pgdb) return t.skip('PostgreSQL unavailable');
    const log = path.join(home, 'bulk.log');
    writeFileSync(log, '');
    const flags = { ...baseFlags, leaseSeconds: 120, concurrency: 4 };
    const workers = await Promise.all([1, 2, 3].map(() => spawnWorker(flags, { PW_TEST_LOG: log, PW_TEST_DIGESTS: '1' })));
    children.push(...workers);
    // 1,000 scans of 40 repositories: each repository's digest is pulled once, the rest are cache hits.
    const ids: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) ids.push(await post(`registry.test/app-${i % 40}:${i}`));
    t.diagnostic(`submitted 1,000 in ${Date.now() - t0} ms`);
    const db = api.store.db;
    await waitFor('all completed', async () => {
      const r = await db.selectFrom('scans').select(sql<string>`count(*)`.as('n')).where('status', '=', 'completed').where('id', 'in', ids).executeTakeFirstOrThrow();
      return Number(r.n) >= 1000 ? true : undefined;
    }, 180000);
    t.diagnostic(`all completed ${Date.now() - t0} ms after the first submission`);
    const statuses = await db.selectFrom('scans').select(['status', sql<string>`count(*)`.as('n')]).where('id', 'in', ids).groupBy('status').execute();
    assert.deepEqual(statuses.map((s) => [s.status, Number(s.n)]), [['completed', 1000]]);
    const perScan = await db.selectFrom('findings').select(['scan_id', sql<string>`count(*)`.as('n')]).where('scan_id', 'in', ids).groupBy('scan_id').execute();
    assert.equal(perScan.length, 1000, 'every scan has results');
    assert.ok(perScan.every((r) => Number(r.n) === 2), 'no duplicate finding rows');
    const attempts = await db.selectFrom('scans').select('attempts').where('id', 'in', ids).execute();
    assert.ok(attempts.every((a) => a.attempts === 1), 'no job ran twice');
    const pulls = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(pulls.length, 40, 'one pull per digest');
    const byWorker = new Set(pulls.map((l) => l.split(' ')[0]));
    assert.ok(byWorker.size >= 2, 'work spread over processes');
    const sources = await db.selectFrom('scans').select(['result_source', sql<string>`count(*)`.as('n')]).where('id', 'in', ids).groupBy('result_source').execute();
    assert.deepEqual(Object.fromEntries(sources.map((s) => [s.result_source, Number(s.n)])), { scan: 40, cache: 960 });
    const jobs = await sql<{ state: string; n: string }>`select state, count(*) as n from pgboss.job where name = 'portwarden-scan' and data->>'scanId' = any(${ids}) group by state`.execute(db);
    assert.deepEqual(jobs.rows.map((r) => [r.state, Number(r.n)]), [['completed', 1000]]);
    await Promise.all(workers.map((w) => stop(w)));
  });
});
