/**
 * Process assembly for `serve` and `worker`: store → queue → workers → API, and the reverse on
 * shutdown (stop taking jobs, give running scans the grace period, release the rest, close).
 */
import path from 'node:path';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/index.ts';
import { advisoryDbPath, loadRegistryAuth } from '../config/index.ts';
import { objectStoreOptions } from '../config/object-store.ts';
import { openStore } from '../store/database.ts';
import type { StoreHandle } from '../store/database.ts';
import { openObjectStore } from '../store/objects.ts';
import type { ObjectStore } from '../store/objects.ts';
import { PgBossQueue } from '../queue/pgboss.ts';
import { countByStatus } from '../store/scans.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import type { ServiceMetrics } from '../telemetry/metrics.ts';
import { ScanWorker } from './worker.ts';
import type { Scanner } from './worker.ts';
import { TargetGuard } from './target-guard.ts';
import type { Resolver } from './target-guard.ts';
import { buildApp } from './app.ts';
import type { ServiceApp } from './app.ts';

export interface StartOptions {
  /** Run the HTTP API (serve) or only workers (worker). */
  api: boolean;
  scanner?: Scanner;
  logger?: Logger;
  resolver?: Resolver;
  /** Overrides the embedded store directory (tests use `memory://`). */
  storeDir?: string;
  defaultMetrics?: boolean;
}

export interface ServiceHandle {
  url?: string;
  app?: ServiceApp;
  store: StoreHandle;
  queue: PgBossQueue;
  objects: ObjectStore;
  metrics: ServiceMetrics;
  log: Logger;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Opens the object store and checks it once. A definite misconfiguration (credentials, missing
 * bucket, wrong region) stops start-up with its message; an unreachable store only warns, since it
 * may come back, and /readyz reports it meanwhile.
 */
async function openCheckedObjectStore(cfg: ServiceConfig, log: Logger): Promise<ObjectStore> {
  const opts = objectStoreOptions(cfg);
  const objects = await openObjectStore(opts.kind === 's3' ? { ...opts, onRetry: (info) => log.warn(info, 'object store request failed; retrying') } : opts);
  try {
    await objects.check();
  } catch (err) {
    if ((err as { retryable?: boolean }).retryable !== true) {
      await objects.close();
      throw err;
    }
    log.warn({ err: (err as Error).message, objectStore: objects.describe() }, 'object store unreachable at start-up; /readyz reports it until it answers');
  }
  log.info({ objectStore: objects.describe() }, 'object store');
  return objects;
}

async function loadPipeline(): Promise<Scanner> {
  const mod = await import('../scan/pipeline.ts');
  return { scanTarget: mod.scanTarget, resolveTargetDigest: mod.resolveTargetDigest, rematchReport: mod.rematchReport, advisorySnapshot: mod.advisorySnapshot, inventoryFingerprint: mod.inventoryFingerprint };
}

export async function startService(cfg: ServiceConfig, opts: StartOptions): Promise<ServiceHandle> {
  const log = opts.logger ?? createLogger(cfg.logLevel);
  const registryAuth = loadRegistryAuth(cfg);
  // First: a misconfigured object store fails start-up in milliseconds, before the store opens.
  const objects = await openCheckedObjectStore(cfg, log);
  let store: StoreHandle;
  try {
    store = await openStore({ ...(cfg.databaseUrl ? { databaseUrl: cfg.databaseUrl } : { dataDir: opts.storeDir ?? path.join(cfg.home, 'store') }), poolSize: Math.max(4, cfg.concurrency + 4) });
  } catch (err) {
    await objects.close();
    throw err;
  }
  const queue = new PgBossQueue({
    executeSql: store.executeSql,
    leaseSeconds: cfg.leaseSeconds,
    maxAttempts: cfg.maxAttempts,
    retryDelaySeconds: cfg.retryDelaySeconds,
    maintenanceSeconds: cfg.maintenanceSeconds,
    pollingSeconds: cfg.pollingSeconds,
    onError: (err) => log.error({ err: err.message }, 'queue error'),
  });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err: String(err) }, 'shutdown step failed'));
    closers.length = 0;
  };
  // Closed in reverse: the object store outlives the workers draining at shutdown.
  closers.push(() => objects.close());
  closers.push(() => store.close());
  try {
    await queue.start();
    let worker: ScanWorker | undefined;
    closers.push(async () => {
      await queue.stop({ timeoutMs: cfg.shutdownTimeoutSeconds * 1000 });
      await worker?.close();
    });
    const metrics = createMetrics({ scansByStatus: () => countByStatus(store.db), queueDepth: () => queue.depth() }, { defaultMetrics: opts.defaultMetrics ?? true });
    const guard = new TargetGuard({ allowRegistries: cfg.allowRegistries, ...(opts.resolver ? { resolver: opts.resolver } : {}) });
    const dbPath = advisoryDbPath(cfg);
    if (cfg.worker || !opts.api) {
      worker = new ScanWorker({
        db: store.db, objects, scanner: opts.scanner ?? await loadPipeline(), guard, log, metrics, dbPath,
        insecureRegistries: cfg.insecureRegistries, registryAuth, leaseSeconds: cfg.leaseSeconds,
      });
      await worker.attach(queue, cfg.concurrency);
      log.info({ concurrency: cfg.concurrency, store: store.kind }, 'scan workers started');
    }
    const handle: ServiceHandle = { store, queue, objects, metrics, log, close: closeAll };
    if (opts.api) {
      const app = await buildApp({
        db: store.db, queue, objects, guard, log, metrics,
        ...(cfg.allowAnonymous !== undefined ? { allowAnonymous: cfg.allowAnonymous } : {}),
        boundToLoopback: isLoopbackHost(cfg.host),
        rateLimitMax: cfg.rateLimitMax,
        rateLimitWindowSeconds: cfg.rateLimitWindowSeconds,
        bodyLimitBytes: cfg.bodyLimitBytes,
        advisoryDbPath: dbPath,
        ping: store.ping,
        storeKind: store.kind,
      });
      // The API closes first so no new scans are accepted while workers drain.
      closers.push(() => app.close());
      handle.url = await app.listen({ host: cfg.host, port: cfg.port });
      handle.app = app;
      log.info({ url: handle.url, store: store.kind }, 'API listening');
    }
    return handle;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** SIGTERM/SIGINT → graceful close; a second signal exits at once. */
export function installSignalHandlers(handle: ServiceHandle): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    handle.log.info({ signal }, 'shutting down: no new jobs, waiting for running scans');
    handle.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
