/**
 * API and queue benchmark: autocannon against a local server for GET /scans/{id} and POST /scans,
 * then the queue's per-job overhead (enqueue → no-op handler → completion) through pg-boss.
 * Store: PostgreSQL when PORTWARDEN_BENCH_DATABASE_URL (or the local server) is reachable, plus the
 * embedded PGlite store. Run: npm run bench -- api   (BENCH_SECONDS=10 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import { startService } from '../src/service/server.ts';
import { completeScan, createScan } from '../src/store/scans.ts';
import { openStore } from '../src/store/database.ts';
import { PgBossQueue } from '../src/queue/pgboss.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import type { Vulnerability } from '../src/model/report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SERVER_URL = process.env.PORTWARDEN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function freshPgDatabase(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const admin = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 2000 });
  try { await admin.connect(); } catch { return undefined; }
  const name = `pw_bench_${Date.now().toString(36)}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(SERVER_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: SERVER_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function vulns(n: number): Vulnerability[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `CVE-2024-${1000 + i}`, aliases: [], cve_id: `CVE-2024-${1000 + i}`, severity: 'HIGH', package_name: `pkg${i}`, installed_version: '1.0-1',
    fixed_version: '1.0-2', ecosystem: 'Debian:12', purl: `pkg:deb/debian/pkg${i}@1.0-1`, status: 'fixed', title: `issue ${i}`, description: 'x'.repeat(200), references: [],
  }));
}

// autocannon ships no types; this is the part of its API used here.
interface CannonOptions { url: string; connections: number; duration: number; method?: string; headers?: Record<string, string>; body?: string }
interface CannonResult { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; [k: string]: unknown }
const autocannon = createRequire(import.meta.url)('autocannon') as (o: CannonOptions, cb: (err: Error | null, res: CannonResult) => void) => void;

function run(opts: CannonOptions): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function line(label: string, r: CannonResult): string {
  const codes = Object.entries(r).filter(([k]) => /^\dxx$/.test(k)).map(([k, v]) => `${k}=${v}`).join(' ');
  return `| ${label} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors} | ${codes} |`;
}

async function benchApi(kind: string, databaseUrl: string | undefined, home: string): Promise<string[]> {
  const cfg = loadConfig({ env: {}, flags: { home, port: 0, worker: false, allowAnonymous: true, allowRegistries: ['registry.bench'], rateLimitMax: 10_000_000, logLevel: 'silent', ...(databaseUrl ? { databaseUrl } : {}) } });
  const svc = await startService(cfg, { api: true, logger: createLogger('silent'), storeDir: databaseUrl ? undefined : path.join(home, 'store'), defaultMetrics: false });
  const id = randomUUID();
  await createScan(svc.store.db, { id, type: 'docker-image', target: 'registry.bench/app:1', priority: 10, jobId: randomUUID() });
  const v = vulns(20);
  await completeScan(svc.store.db, id, { digest: `sha256:${'d'.repeat(64)}`, summary: { critical: 0, high: 20, medium: 0, low: 0, unknown: 0, total: 20 }, secrets: 0, advisorySnapshot: 's', reportKey: `reports/${id}.json`, resultSource: 'scan', vulnerabilities: v });
  const queuedId = randomUUID();
  await createScan(svc.store.db, { id: queuedId, type: 'docker-image', target: 'registry.bench/app:2', priority: 10, jobId: randomUUID() });
  const out: string[] = [];
  await run({ url: `${svc.url}/scans/${id}`, connections: CONNECTIONS, duration: 2 }); // warm-up
  out.push(line(`${kind}: GET /scans/{id} completed, 20 findings (immutable, served from the per-process cache after the first read)`, await run({ url: `${svc.url}/scans/${id}`, connections: CONNECTIONS, duration: SECONDS })));
  out.push(line(`${kind}: GET /scans/{id} queued (store read every time)`, await run({ url: `${svc.url}/scans/${queuedId}`, connections: CONNECTIONS, duration: SECONDS })));
  out.push(line(`${kind}: POST /scans`, await run({
    url: `${svc.url}/scans`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'docker-image', target: 'registry.bench/app:1' }),
  })));
  await svc.close();
  return out;
}

async function benchQueue(kind: string, databaseUrl: string | undefined, home: string): Promise<string> {
  const store = await openStore(databaseUrl ? { databaseUrl } : { dataDir: path.join(home, 'qstore') });
  const queue = new PgBossQueue({ executeSql: store.executeSql, leaseSeconds: 60, maxAttempts: 3, retryDelaySeconds: 1, maintenanceSeconds: 30, pollingSeconds: 0.5 });
  await queue.start();
  const N = 500;
  let done = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => { resolveAll = r; });
  // Enqueue cost and drain cost (fetch + complete) are measured apart: together they are the
  // queue's overhead per job, independent of how fast jobs arrive.
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await queue.enqueue({ scanId: randomUUID() }, { priority: 10 });
  const enqueueMs = (performance.now() - t0) / N;
  const t1 = performance.now();
  await queue.work(async () => {
    if (++done === N) resolveAll();
  }, { concurrency: 4 });
  await all;
  const drainMs = (performance.now() - t1) / N;
  await queue.stop({ timeoutMs: 2000 });
  await store.close();
  return `| ${kind} | ${N} | ${enqueueMs.toFixed(2)} | ${drainMs.toFixed(2)} | ${(enqueueMs + drainMs).toFixed(2)} |`;
}

const home = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));
const pgdb = await freshPgDatabase();
try {
  const api: string[] = [];
  const queue: string[] = [];
  if (pgdb) {
    api.push(...await benchApi('postgres', pgdb.url, home));
    queue.push(await benchQueue('postgres', pgdb.url, home));
  } else {
    console.log('(PostgreSQL not reachable: embedded store only)');
  }
  api.push(...await benchApi('pglite', undefined, home));
  queue.push(await benchQueue('pglite', undefined, home));
  console.log(`\nautocannon, ${CONNECTIONS} connections, ${SECONDS} s, Node ${process.version}, ${os.cpus().length} cores`);
  console.log('| case | req/s | p50 ms | p99 ms | errors | status codes |\n|---|---|---|---|---|---|');
  for (const l of api) console.log(l);
  console.log('\nqueue overhead per job: enqueue, then drain with a no-op handler (4 slots)');
  console.log('| store | jobs | enqueue ms/job | fetch+complete ms/job | total ms/job |\n|---|---|---|---|---|');
  for (const l of queue) console.log(l);
} finally {
  await pgdb?.drop();
  rmSync(home, { recursive: true, force: true });
}
