/**
 * End-to-end scan throughput (issue #7): scans per minute through the real service, the real
 * registry and the real pipeline, with 1 and then 2 `portwarden worker` processes on PostgreSQL
 * (the API in this process), and optionally `portwarden serve` (embedded PGlite, workers in process).
 *
 * Images: N distinct digests in a real docker-registry, so the digest cache never answers. All share
 * the debootstrap bookworm rootfs as base layer (real dpkg database, ~200 MB of files) and each has
 * a small top layer of its own with an npm package-lock.json and a Python dist-info. The advisory
 * index is the staged data (../shared/data/osv and distro). Each row uses a fresh database, so every
 * scan pulls, walks, analyses and matches its image.
 *
 * Run: npm run bench -- scan-throughput. Environment:
 *   BENCH_SCANS=N          scans (= distinct images) per row, default 20
 *   BENCH_QUICK=1          4 scans per row (a check that the bench runs, not figures)
 *   BENCH_WORKERS=1,2      worker-process counts, one row each
 *   BENCH_CONCURRENCY=N    scan slots per process (default 2, the service default)
 *   BENCH_SERVE=0          leave out the `serve` (PGlite) row
 *   PORTWARDEN_BENCH_DATABASE_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { BENCH_SERVER_URL, createBenchDatabase, type BenchDatabase } from './pg.ts';
import { loadConfig } from '../src/config/index.ts';
import { startService } from '../src/service/server.ts';
import { createLogger } from '../src/telemetry/logger.ts';
import { importAdvisories } from '../src/vulndb/import.ts';
import { inventoryTarget, matchReport, openIndex } from '../src/scan/pipeline.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import type { TestRegistry } from '../test/helpers/registry.ts';
import { buildImage, layerFromDirectory, pushImage } from '../test/helpers/image-builder.ts';
import type { BuiltImage } from '../test/helpers/image-builder.ts';
import { ensureDebianRootfs } from '../test/helpers/debian-rootfs.ts';
import { envNumber, machineLine, markdownTable, measureAsync, MiB } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../bin/portwarden.js');
const SHARED = process.env.PORTWARDEN_SHARED_DATA ?? path.resolve(here, '../../shared/data');
const QUICK = process.env.BENCH_QUICK === '1';
const SCANS = QUICK ? 4 : envNumber('BENCH_SCANS', 20);
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const CONCURRENCY = envNumber('BENCH_CONCURRENCY', 2);
const WITH_SERVE = process.env.BENCH_SERVE !== '0';
const REPOSITORY = 'bench/app';
/** A row that takes longer than this is reported as failed rather than waited on forever. */
const ROW_TIMEOUT_MS = 30 * 60_000;

const loadavg = (): string => os.loadavg().map((l) => l.toFixed(1)).join(' ');

// ---------------------------------------------------------------------------------------------
// CPU accounting: child processes from /proc (clock ticks), the whole machine from /proc/stat.

const TICK_MS = 10;

/** CPU of a process (all its threads), or of its main thread alone (where the JS runs). */
function processCpuMs(pid: number, mainThreadOnly = false): number {
  try {
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total jiffies of all cores (busy = everything but idle and iowait). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

// ---------------------------------------------------------------------------------------------
// Inputs: registry with N images, advisory index.

/**
 * The distinct top layer of image `i`: an npm lockfile and a Python distribution, at versions the
 * staged advisories cover (lodash and jquery: ../shared/data/osv/ghsa-sample; requests: PyPA).
 */
function topLayerFiles(i: number): { path: string; content: string }[] {
  const lock = {
    name: `bench-app-${i}`, version: `1.0.${i}`, lockfileVersion: 3, requires: true,
    packages: {
      '': { name: `bench-app-${i}`, version: `1.0.${i}`, dependencies: { lodash: '4.17.11', jquery: '2.2.4', minimist: '1.2.5' } },
      'node_modules/lodash': { version: '4.17.11', resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.11.tgz' },
      'node_modules/jquery': { version: '2.2.4', resolved: 'https://registry.npmjs.org/jquery/-/jquery-2.2.4.tgz' },
      'node_modules/minimist': { version: '1.2.5', resolved: 'https://registry.npmjs.org/minimist/-/minimist-1.2.5.tgz' },
    },
  };
  const metadata = 'Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\nSummary: Python HTTP for Humans.\nLicense: Apache 2.0\n';
  return [
    { path: 'srv/app/package-lock.json', content: JSON.stringify(lock, null, 2) },
    { path: 'srv/app/package.json', content: JSON.stringify({ name: `bench-app-${i}`, version: `1.0.${i}`, dependencies: lock.packages[''].dependencies }) },
    { path: 'usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA', content: metadata },
    { path: 'etc/bench-image-id', content: `${i}\n` },
  ];
}

/** Pushes `n` images tagged img-0…; returns the first (for the stage breakdown) and the base layer's size. */
async function pushImages(registry: TestRegistry, n: number): Promise<{ first: BuiltImage; baseMiB: number }> {
  const rootfs = ensureDebianRootfs();
  // The rootfs is packed and compressed once; every image reuses the same blob (one copy in the registry).
  const base = await layerFromDirectory(rootfs, { compression: 'none' });
  const baseBlob = await promisify(gzip)(base.rawTar ?? Buffer.alloc(0), { level: 6 });
  // Only the first image is kept: each built image holds its uncompressed base tar (~200 MB), and
  // this process also hosts the API during the PostgreSQL rows.
  let first: BuiltImage | undefined;
  for (let i = 0; i < n; i++) {
    const image = await buildImage({ layers: [{ rawBlob: baseBlob, compression: 'gzip' }, { files: topLayerFiles(i), compression: 'gzip' }] });
    await pushImage(registry, REPOSITORY, `img-${i}`, image);
    first ??= image;
  }
  return { first: first!, baseMiB: baseBlob.length / MiB };
}

async function freshDatabase(): Promise<BenchDatabase> {
  const db = await createBenchDatabase('pw_bench_tp');
  if (!db) throw new Error(`PostgreSQL not reachable at ${BENCH_SERVER_URL} (set PORTWARDEN_BENCH_DATABASE_URL)`);
  return db;
}

// ---------------------------------------------------------------------------------------------
// Processes.

/** Spawns `portwarden …args` and resolves once its stderr contains `readyText` (with the captured line). */
function spawnCli(args: string[], readyText: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8000);
      const m = readyText.exec(err);
      if (m) resolve({ child, match: m, stderr: () => err });
    });
    child.once('exit', (code) => reject(new Error(`portwarden ${args[0]} exited early with ${code}: ${err}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// One row: submit N scans, wait for all, read their timestamps.

interface ScanView { scan_id: string; status: string; created_at: string; started_at: string | null; completed_at: string | null; result_source: string | null; error: string | null; summary?: { total: number } | null }

interface RowResult {
  label: string;
  slots: number;
  scans: number;
  failed: number;
  wallS: number;
  perMinute: number;
  p50S: number;
  p95S: number;
  runP50S: number;
  runP95S: number;
  findingsPerScan: string;
  workerCpuS: number;
  /** The busiest worker process's main (JS) thread, as a share of the row's wall time. */
  busiestMainThreadPct: number;
  apiCpuS: number;
  machineBusyPct: number;
  loadStart: string;
  loadEnd: string;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

async function submitAndWait(apiUrl: string, registry: TestRegistry, n: number): Promise<{ views: ScanView[]; wallS: number }> {
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${apiUrl}/scans`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'docker-image', target: `${registry.host}/${REPOSITORY}:img-${i}` }),
    });
    const body = await res.text();
    if (res.status !== 202) throw new Error(`POST /scans answered ${res.status}: ${body}`);
    ids.push((JSON.parse(body) as { scan_id: string }).scan_id);
  }
  const views = new Map<string, ScanView>();
  const deadline = Date.now() + ROW_TIMEOUT_MS;
  while (views.size < n) {
    if (Date.now() > deadline) throw new Error(`only ${views.size} of ${n} scans finished within ${ROW_TIMEOUT_MS / 60_000} min`);
    await new Promise((r) => setTimeout(r, 250));
    for (const id of ids) {
      if (views.has(id)) continue;
      const v = (await (await fetch(`${apiUrl}/scans/${id}`)).json()) as ScanView;
      if (v.status === 'completed' || v.status === 'failed') views.set(id, v);
    }
  }
  return { views: [...views.values()], wallS: (performance.now() - t0) / 1000 };
}

function summarise(label: string, slots: number, views: ScanView[], wallS: number, cpu: { workerCpuS: number; busiestMainThreadPct: number; apiCpuS: number; machineBusyPct: number; loadStart: string }): RowResult {
  const done = views.filter((v) => v.status === 'completed' && v.completed_at);
  const ms = (s: string | null): number => (s ? Date.parse(s) : Number.NaN);
  const latency = done.map((v) => (ms(v.completed_at) - ms(v.created_at)) / 1000);
  const run = done.map((v) => (ms(v.completed_at) - ms(v.started_at)) / 1000);
  // Throughput over the service's own clock: first submission to last completion.
  const spanS = done.length ? (Math.max(...done.map((v) => ms(v.completed_at))) - Math.min(...views.map((v) => ms(v.created_at)))) / 1000 : Number.NaN;
  const findings = [...new Set(done.map((v) => v.summary?.total ?? 0))].sort((a, b) => a - b).join('/');
  const sources = new Set(done.map((v) => v.result_source));
  if (sources.size !== 1 || !sources.has('scan')) throw new Error(`expected every result to come from a fresh scan, got ${[...sources].join(', ')}`);
  return {
    label, slots, scans: views.length, failed: views.length - done.length, wallS,
    perMinute: (done.length / spanS) * 60, p50S: percentile(latency, 50), p95S: percentile(latency, 95),
    runP50S: percentile(run, 50), runP95S: percentile(run, 95), findingsPerScan: findings, ...cpu, loadEnd: loadavg(),
  };
}

function workerArgs(home: string, dbPath: string, registry: TestRegistry): string[] {
  return [
    '--home', home, '--db', dbPath, '--allow-registry', registry.host, '--insecure-registry', registry.host,
    '--concurrency', String(CONCURRENCY), '--polling-seconds', '0.5', '--log-level', 'warn',
  ];
}

async function postgresRow(workers: number, registry: TestRegistry, dbPath: string): Promise<RowResult> {
  const pgdb = await freshDatabase();
  const home = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-tp-'));
  const children: ChildProcess[] = [];
  const cfg = loadConfig({ env: {}, flags: {
    home, port: 0, worker: false, databaseUrl: pgdb.url, allowAnonymous: true, rateLimitMax: 10_000_000, advisoryDbPath: dbPath,
    allowRegistries: [registry.host], insecureRegistries: [registry.host], logLevel: 'silent',
  } });
  const api = await startService(cfg, { api: true, logger: createLogger('silent'), defaultMetrics: false });
  try {
    for (let i = 0; i < workers; i++) {
      children.push((await spawnCli(['worker', '--database-url', pgdb.url, ...workerArgs(home, dbPath, registry)], /worker running/)).child);
    }
    const loadStart = loadavg();
    const workerCpu0 = children.reduce((a, c) => a + processCpuMs(c.pid ?? 0), 0);
    const main0 = children.map((c) => processCpuMs(c.pid ?? 0, true));
    const apiCpu0 = process.cpuUsage();
    const m0 = machineTicks();
    const { views, wallS } = await submitAndWait(api.url ?? '', registry, SCANS);
    const m1 = machineTicks();
    const apiCpu = process.cpuUsage(apiCpu0);
    const workerCpuS = (children.reduce((a, c) => a + processCpuMs(c.pid ?? 0), 0) - workerCpu0) / 1000;
    const busiestMainMs = Math.max(...children.map((c, i) => processCpuMs(c.pid ?? 0, true) - (main0[i] ?? 0)));
    return summarise(`PostgreSQL, ${workers} worker process${workers > 1 ? 'es' : ''}`, workers * CONCURRENCY, views, wallS, {
      workerCpuS, busiestMainThreadPct: busiestMainMs / (10 * wallS), apiCpuS: (apiCpu.user + apiCpu.system) / 1e6, machineBusyPct: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total), loadStart,
    });
  } finally {
    await Promise.all(children.map(stopChild));
    await api.close();
    await pgdb.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function serveRow(registry: TestRegistry, dbPath: string): Promise<RowResult> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-tp-'));
  const { child, match } = await spawnCli(['serve', '--port', '0', '--allow-anonymous', '--rate-limit', '10000000', ...workerArgs(home, dbPath, registry)], /API on (http:\/\/\S+)/);
  try {
    const loadStart = loadavg();
    const cpu0 = processCpuMs(child.pid ?? 0);
    const main0 = processCpuMs(child.pid ?? 0, true);
    const m0 = machineTicks();
    const { views, wallS } = await submitAndWait(match[1] ?? '', registry, SCANS);
    const m1 = machineTicks();
    return summarise('embedded PGlite (`serve`, API + workers in 1 process)', CONCURRENCY, views, wallS, {
      workerCpuS: (processCpuMs(child.pid ?? 0) - cpu0) / 1000, busiestMainThreadPct: (processCpuMs(child.pid ?? 0, true) - main0) / (10 * wallS), apiCpuS: 0, machineBusyPct: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total), loadStart,
    });
  } finally {
    await stopChild(child);
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Where one scan's time goes, measured in this process on one image (best of 3 after a warm-up):
 * the pull alone (every blob fetched and digest-checked), pull + walk + analyzers + secrets
 * (inventoryTarget, what a worker runs before matching), and matching on an opened index.
 */
async function stageBreakdown(registry: TestRegistry, image: BuiltImage, dbPath: string): Promise<string[][]> {
  (globalThis as { gc?: () => void }).gc?.(); // the image building left ~1 GB of garbage behind
  const target = `${registry.host}/${REPOSITORY}:img-0`;
  const opts = { dbPath, registry: { insecureRegistries: [registry.host] } };
  const pull = async (): Promise<number> => {
    let bytes = 0;
    for (const b of [image.manifest, image.config, ...image.layers]) {
      const kind = b === image.manifest ? 'manifests' : 'blobs';
      const res = await fetch(`${registry.url}/v2/${REPOSITORY}/${kind}/${b.digest}`, { headers: { accept: b.mediaType } });
      const data = Buffer.from(await res.arrayBuffer());
      if (`sha256:${createHash('sha256').update(data).digest('hex')}` !== b.digest) throw new Error(`digest mismatch for ${b.digest}`);
      bytes += data.length;
    }
    return bytes;
  };
  const best = async <T>(fn: () => Promise<T>): Promise<{ wallMs: number; cpuMs: number; value: T }> => {
    await fn();
    let out: { wallMs: number; cpuMs: number; value: T } | undefined;
    for (let i = 0; i < 3; i++) {
      const m = await measureAsync(fn);
      out = out ? { wallMs: Math.min(out.wallMs, m.wallMs), cpuMs: Math.min(out.cpuMs, m.cpuMs), value: m.value } : m;
    }
    return out!;
  };
  const pulled = await best(pull);
  const inventory = await best(() => inventoryTarget(target, opts));
  const index = openIndex(dbPath);
  const matched = await best(async () => matchReport(inventory.value, index));
  index.close();
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  return [
    ['pull only (manifest, config, layers; sha256 checked)', `${(pulled.value / MiB).toFixed(1)} MiB`, s(pulled.wallMs), s(pulled.cpuMs)],
    ['inventory: pull + gunzip + walk + analyzers + secrets', `${inventory.value.packages.length} packages`, s(inventory.wallMs), s(inventory.cpuMs)],
    ['matching (index already open)', `${matched.value.vulnerabilities.length} findings`, s(matched.wallMs), s(matched.cpuMs)],
  ];
}

// ---------------------------------------------------------------------------------------------

console.log(machineLine());
console.log(`${SCANS} scans per row, ${CONCURRENCY} scan slots per process${QUICK ? ' (BENCH_QUICK: a check that it runs, not figures)' : ''}`);
const work = mkdtempSync(path.join(os.tmpdir(), 'pw-bench-tp-'));
const registry = await startRegistry();
try {
  const dbPath = path.join(work, 'advisories.db');
  const imported = await measureAsync(() => importAdvisories([path.join(SHARED, 'osv'), path.join(SHARED, 'distro')], { dbPath, replace: true }));
  console.log(`advisory index from ${SHARED}/{osv,distro}: ${(imported.wallMs / 1000).toFixed(1)} s`);
  const pushed = await measureAsync(() => pushImages(registry, SCANS));
  console.log(`pushed ${SCANS} images (shared base layer ${pushed.value.baseMiB.toFixed(1)} MiB gzip + distinct top layer) in ${(pushed.wallMs / 1000).toFixed(1)} s`);

  const rows: RowResult[] = [];
  for (const w of WORKER_COUNTS) {
    rows.push(await postgresRow(w, registry, dbPath));
    console.log(`  done: ${rows.at(-1)!.label} (load ${loadavg()})`);
  }
  if (WITH_SERVE) {
    rows.push(await serveRow(registry, dbPath));
    console.log(`  done: ${rows.at(-1)!.label} (load ${loadavg()})`);
  }
  console.log(`\nEnd-to-end scans per minute, ${SCANS} distinct images per row (${machineLine()})`);
  console.log('latency = created_at → completed_at (queue wait included); run = started_at → completed_at; CPU s = user+sys over the row;');
  console.log('busiest main thread = CPU of the busiest worker process\'s JS thread / wall time (100% = that thread is the limit);');
  console.log('machine busy = all cores, every process on the machine (other users included)\n');
  console.log(markdownTable(
    ['setup', 'slots', 'scans (failed)', 'wall s', 'scans/min', 'latency p50 / p95 s', 'run p50 / p95 s', 'findings/scan', 'worker CPU s', 'busiest main thread', 'API CPU s', 'machine busy', 'load start → end'],
    rows.map((r) => [
      r.label, String(r.slots), `${r.scans} (${r.failed})`, r.wallS.toFixed(1), r.perMinute.toFixed(1), `${r.p50S.toFixed(1)} / ${r.p95S.toFixed(1)}`,
      `${r.runP50S.toFixed(1)} / ${r.runP95S.toFixed(1)}`, r.findingsPerScan, r.workerCpuS.toFixed(1), `${r.busiestMainThreadPct.toFixed(0)}%`, r.apiCpuS ? r.apiCpuS.toFixed(1) : '(in worker)',
      `${r.machineBusyPct.toFixed(0)}%`, `${r.loadStart.split(' ')[0]} → ${r.loadEnd.split(' ')[0]}`,
    ]),
  ));
  console.log('\nOne scan by stage, in this process (best of 3 after a warm-up):\n');
  console.log(markdownTable(['stage', 'size', 'wall s', 'CPU s'], await stageBreakdown(registry, pushed.value.first, dbPath)));
  console.log(`\nbench process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; load average at the end: ${loadavg()}`);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
