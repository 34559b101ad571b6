/**
 * API and queue benchmark: autocannon (in a child process) against a local server for GET /scans/{id} (completed, queued,
 * scanning, and a cache-miss case over many ids) and POST /scans, then the queue's per-job overhead (enqueue → no-op handler → completion) through pg-boss.
 * Store: PostgreSQL when PORTWARDEN_BENCH_DATABASE_URL (or the local server) is reachable, plus the
 * embedded PGlite store. Run: npm run bench -- api   (BENCH_SECONDS=10 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase } from './pg.ts';
import { loadConfig } from '../src/config/index.ts';
import { startService } from '../src/service/server.ts';
import type { Kysely } from 'kysely';
import { completeScan, createScan, startAttempt } from '../src/store/scans.ts';
import { createToken } from '../src/store/tokens.ts';
import type { Database } from '../src/store/schema.ts';
import { FakeScanner } from '../test/service/fixtures.ts';
import { openStore } from '../src/store/database.ts';
import { PgBossQueue } from '../src/queue/pgboss.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import type { Vulnerability } from '../src/model/report.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
function vulns(n: number): Vulnerability[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `CVE-2024-${1000 + i}`, aliases: [], cve_id: `CVE-2024-${1000 + i}`, severity: 'HIGH', package_name: `pkg${i}`, installed_version: '1.0-1',
    fixed_version: '1.0-2', ecosystem: 'Debian:12', purl: `pkg:deb/debian/pkg${i}@1.0-1`, status: 'fixed', title: `issue ${i}`, description: 'x'.repeat(200), references: [],
  }));
}

// autocannon ships no types; this is the part of its API used here.
interface CannonOptions { url: string; connections: number; duration: number; method?: string; headers?: Record<string, string>; body?: string }
interface CannonResult { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; [k: string]: unknown }

/**
 * One autocannon run in a child process (bench/autocannon-client.mjs): the server keeps this
 * process, the load generator gets its own, as a separate load tool on the same 2-core host would.
 * `paths` are requested round-robin. CPU s = the server process only; the client's is reported apart.
 */
async function run(opts: CannonOptions, paths?: string[]): Promise<CannonResult & { cpuSeconds: number; load: number }> {
  const cpu = process.cpuUsage();
  const child = fork(fileURLToPath(new URL('./autocannon-client.mjs', import.meta.url)), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const res = await new Promise<CannonResult>((resolve, reject) => {
    child.once('message', (m: { result?: CannonResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error ?? 'autocannon failed'))));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`autocannon client exited with ${code}`)));
    child.send({ opts, paths });
  });
  const used = process.cpuUsage(cpu);
  return { ...res, cpuSeconds: (used.user + used.system) / 1e6, load: os.loadavg()[0] ?? 0 };
}

function line(label: string, r: CannonResult & { cpuSeconds: number; load: number }): string {
  const codes = Object.entries(r).filter(([k, v]) => /^\dxx$/.test(k) && v !== 0).map(([k, v]) => `${k}=${v}`).join(' ');
  return `| ${label} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors} | ${codes} | ${r.cpuSeconds.toFixed(1)} | ${r.load.toFixed(2)} |`;
}

const MISS_IDS = Number(process.env.BENCH_MISS_IDS ?? 20_000);

/** Queued scans inserted in bulk, for the cache-miss case: every request names a scan not read within the last second. */
async function manyQueuedScans(db: Kysely<Database>, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  for (let i = 0; i < n; i += 1000) {
    await db.insertInto('scans').values(ids.slice(i, i + 1000).map((id) => ({
      id, type: 'docker-image', target: 'registry.bench/many:1', platform: null, status: 'queued' as const, priority: 10, error: null, job_id: randomUUID(),
      digest: null, advisory_snapshot: null, report_key: null, result_source: null, requested_by: null,
    }))).execute();
  }
  return ids;
}

/**
 * The service as `portwarden serve` runs it: bearer-token auth (a pipeline's token, rate limit
 * raised out of the way), and on the embedded store the in-process worker attached (an instant
 * scanner stands in for the pipeline, so POSTed jobs are drained while POSTs continue).
 */
async function benchApi(kind: string, databaseUrl: string | undefined, home: string): Promise<string[]> {
  const cfg = loadConfig({ env: {}, flags: { home: path.join(home, kind), port: 0, worker: !databaseUrl, allowAnonymous: false, allowRegistries: ['registry.bench'], rateLimitMax: 10_000_000, logLevel: 'silent', ...(databaseUrl ? { databaseUrl } : {}) } });
  const svc = await startService(cfg, { api: true, logger: createLogger('silent'), storeDir: databaseUrl ? undefined : path.join(home, kind, 'store'), defaultMetrics: false, scanner: new FakeScanner() });
  const db = svc.store.db;
  const { token } = await createToken(db, 'bench', ['scan:read', 'scan:write']);
  const headers = { authorization: `Bearer ${token}` };
  const get = (id: string) => run({ url: `${svc.url}/scans/${id}`, connections: CONNECTIONS, duration: SECONDS, headers });
  const newScan = async (target: string) => {
    const id = randomUUID();
    await createScan(db, { id, type: 'docker-image', target, priority: 10, jobId: randomUUID() });
    return id;
  };
  const completedId = await newScan('registry.bench/app:1');
  await completeScan(db, completedId, { digest: `sha256:${'d'.repeat(64)}`, summary: { critical: 0, high: 20, medium: 0, low: 0, unknown: 0, total: 20 }, secrets: 0, advisorySnapshot: 's', reportKey: `reports/${completedId}.json`, resultSource: 'scan', vulnerabilities: vulns(20) });
  const queuedId = await newScan('registry.bench/app:2');
  const scanningId = await newScan('registry.bench/app:3');
  await startAttempt(db, scanningId);
  const out: string[] = [];
  await get(completedId); // warm-up (JIT, connections)
  out.push(line(`${kind}: GET /scans/{id} completed, 20 findings`, await get(completedId)));
  out.push(line(`${kind}: GET /scans/{id} queued`, await get(queuedId)));
  out.push(line(`${kind}: GET /scans/{id} scanning`, await get(scanningId)));
  const missIds = await manyQueuedScans(db, MISS_IDS);
  out.push(line(`${kind}: GET /scans/{id} queued, ${MISS_IDS} ids round-robin (every read misses the cache)`, await run(
    { url: svc.url ?? '', connections: CONNECTIONS, duration: SECONDS, headers },
    missIds.map((id) => `/scans/${id}`),
  )));
  out.push(line(`${kind}: POST /scans${databaseUrl ? '' : ' (embedded worker draining them)'}`, await run({
    url: `${svc.url}/scans`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'docker-image', target: 'registry.bench/app:1' }),
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

console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const home = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-'));
const pgdb = await createBenchDatabase('pw_bench');
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
  console.log(`\nautocannon, ${CONNECTIONS} connections, ${SECONDS} s, Node ${process.version}, ${os.cpus().length} cores; autocannon in a child process; CPU s = the server process only, load = 1-min load average after the run`);
  console.log('| case | req/s | p50 ms | p99 ms | errors | status codes | CPU s | load |\n|---|---|---|---|---|---|---|---|');
  for (const l of api) console.log(l);
  console.log('\nqueue overhead per job: enqueue, then drain with a no-op handler (4 slots)');
  console.log('| store | jobs | enqueue ms/job | fetch+complete ms/job | total ms/job |\n|---|---|---|---|---|');
  for (const l of queue) console.log(l);
} finally {
  await pgdb?.drop();
  rmSync(home, { recursive: true, force: true });
}
