/**
 * The scan job handler. One job = one attempt at one scan row. The result is reused by manifest
 * digest: a second scan of an image whose digest is already in the store re-uses its inventory and
 * only re-matches when the advisory snapshot changed; one scan per digest runs at a time, enforced
 * by a lease row in the store (so it holds across processes and survives a crashed holder).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.ts';
import type { Report } from '../model/report.ts';
import type { ScanOptions } from '../scan/pipeline.ts';
import type { JobContext, JobQueue, ScanJobData } from '../queue/types.ts';
import type { ObjectStore } from '../store/objects.ts';
import type { ServiceMetrics } from '../telemetry/metrics.ts';
import type { RegistryCredential } from '../config/index.ts';
import { reportKey, sbomKey } from '../store/objects.ts';
import { acquireDigestLease, completeScan, getImage, markDeadLettered, recordAttemptError, releaseDigestLease, startAttempt } from '../store/scans.ts';
import { TargetGuard, isAddressRefusal } from './target-guard.ts';
import { createGuardedDispatcher } from './guarded-dispatcher.ts';
import type { Dispatcher } from 'undici';
import { seenEcosystemsPath } from '../vulndb/seen-ecosystems.ts';
import { AdvisoryIndexPool } from '../matcher/index-pool.ts';
import { UserInputError, errorMessage } from '../util/errors.ts';
import { secondsSince } from '../util/time.ts';

/** The pipeline functions the worker needs (src/scan/pipeline.ts in production; injectable for tests). */
export interface Scanner {
  scanTarget(target: string, opts?: ScanOptions): Promise<Report>;
  resolveTargetDigest(target: string, opts?: ScanOptions): Promise<string | undefined>;
  rematchReport(report: Report, opts?: Pick<ScanOptions, 'dbPath' | 'indexPool'>): Report;
  advisorySnapshot(dbPath?: string, indexPool?: AdvisoryIndexPool): string | undefined;
  /** Fingerprint of the analyzers an inventory built now would record (Report.tool.analyzers). */
  inventoryFingerprint(opts?: ScanOptions): string;
}

export interface WorkerDeps {
  db: Kysely<Database>;
  objects: ObjectStore;
  scanner: Scanner;
  guard: TargetGuard;
  log: Logger;
  metrics?: ServiceMetrics;
  dbPath?: string;
  insecureRegistries: string[];
  registryAuth: Record<string, RegistryCredential>;
  leaseSeconds: number;
}

/** Errors that no retry can fix: the scan fails at once instead of burning its attempts. */
class PermanentError extends Error {}

export function sbomDocument(report: Report, digest: string, platform: string): unknown {
  return { schema_version: 1, kind: 'portwarden-inventory', digest, platform: platform || undefined, artifact: report.artifact, os: report.os, packages: report.packages };
}

export class ScanWorker {
  private readonly d: WorkerDeps;
  /** Every registry connection of a scan re-checks the guard's address policy when it connects. */
  private readonly dispatcher: Dispatcher;
  /** One advisory index handle per snapshot, shared by every job of this worker (matcher/index-pool.ts). */
  private readonly indexes = new AdvisoryIndexPool();
  constructor(deps: WorkerDeps) {
    this.d = deps;
    this.dispatcher = createGuardedDispatcher(deps.guard);
  }

  /**
   * After the queue has stopped handing out jobs and running ones have finished: closes the shared
   * index handles and the registry connections (kept alive between jobs), so nothing holds the
   * process open.
   */
  async close(): Promise<void> {
    this.indexes.close();
    await this.dispatcher.close();
  }

  async attach(queue: JobQueue, concurrency: number): Promise<void> {
    await queue.work((data, ctx) => this.handle(data, ctx), { concurrency });
    await queue.onDeadLetter(async (data) => {
      if (await markDeadLettered(this.d.db, data.scanId, undefined, data.jobId)) this.d.log.warn({ scanId: data.scanId }, 'scan dead-lettered');
    });
  }

  async handle(data: ScanJobData, ctx: JobContext): Promise<void> {
    const started = process.hrtime.bigint();
    const seconds = () => secondsSince(started);
    const row = await startAttempt(this.d.db, data.scanId);
    if (!row) {
      this.d.log.info({ scanId: data.scanId, jobId: ctx.jobId }, 'scan already finished; redelivery ignored');
      return;
    }
    const log = this.d.log.child({ scanId: row.id, jobId: ctx.jobId, attempt: ctx.attempt });
    try {
      const outcome = await this.run(row.id, row.target, row.platform ?? '', ctx.signal);
      this.d.metrics?.jobDuration.observe({ outcome }, seconds());
      this.d.metrics?.jobsTotal.inc({ outcome });
      log.info({ outcome, seconds: seconds() }, 'scan completed');
    } catch (err) {
      const message = errorMessage(err);
      const permanent = err instanceof PermanentError || err instanceof UserInputError || isAddressRefusal(err);
      if (permanent || ctx.attempt >= ctx.maxAttempts) {
        await markDeadLettered(this.d.db, row.id, message);
        this.d.metrics?.jobDuration.observe({ outcome: 'dead_letter' }, seconds());
        this.d.metrics?.jobsTotal.inc({ outcome: 'dead_letter' });
        log.warn({ err: message, permanent }, 'scan failed for good');
        if (permanent) return;
      } else {
        await recordAttemptError(this.d.db, row.id, ctx.signal.aborted ? `released during worker shutdown: ${message}` : message);
        this.d.metrics?.jobDuration.observe({ outcome: 'retry' }, seconds());
        this.d.metrics?.jobsTotal.inc({ outcome: 'retry' });
        log.warn({ err: message }, 'scan attempt failed; will retry');
      }
      throw err;
    }
  }

  private scanOptions(platform: string, signal: AbortSignal): ScanOptions {
    return {
      ...(this.d.dbPath ? { dbPath: this.d.dbPath } : {}),
      ...(platform ? { platform } : {}),
      registry: { insecureRegistries: this.d.insecureRegistries, authByHost: this.d.registryAuth, dispatcher: this.dispatcher },
      signal,
      seenEcosystemsFile: seenEcosystemsPath(this.d.dbPath),
      indexPool: this.indexes,
      onStage: (stage, seconds) => this.d.metrics?.stageDuration.observe({ stage }, seconds),
    };
  }

  /** Runs one stage of a job and records its duration (also when it fails). */
  private async timed<T>(stage: 'resolve' | 'match' | 'persist', work: () => T | Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      this.d.metrics?.stageDuration.observe({ stage }, secondsSince(start));
    }
  }

  private async run(scanId: string, target: string, platform: string, signal: AbortSignal): Promise<'completed' | 'cached' | 'rematched'> {
    // Re-checked at run time: the allow-list may have changed, and DNS answers may differ from
    // the ones seen when the scan was accepted.
    const verdict = await this.d.guard.check(target);
    if (verdict.ok === false) throw new PermanentError(`target refused: ${verdict.reason}`);
    if (verdict.ok === 'unresolved') throw new Error(verdict.reason);
    const opts = this.scanOptions(platform, signal);
    const digest = await this.timed('resolve', () => this.d.scanner.resolveTargetDigest(target, opts));
    const snapshot = this.d.scanner.advisorySnapshot(this.d.dbPath, this.indexes) ?? null;
    if (!digest) {
      const report = await this.d.scanner.scanTarget(target, opts);
      await this.persist(scanId, report, report.digest ?? null, platform, 'scan', snapshot);
      return 'completed';
    }
    await this.waitForDigestLease(digest, platform, scanId, signal);
    try {
      const image = await getImage(this.d.db, digest, platform);
      const cachedBody = image ? await this.d.objects.get(image.report_key) : undefined;
      const cached = cachedBody ? JSON.parse(cachedBody.toString('utf8')) as Report : undefined;
      // A stored inventory built by other analyzer code (older Portwarden, fixed analyzers) is
      // rebuilt: re-matching it would keep its false or missing packages forever.
      if (image && cached && cached.tool.analyzers === this.d.scanner.inventoryFingerprint(opts)) {
        if (snapshot !== null && image.advisory_snapshot === snapshot) {
          await this.persist(scanId, cached, digest, platform, 'cache', snapshot, image.report_key);
          return 'cached';
        }
        const rematched = await this.timed('match', () => this.d.scanner.rematchReport(cached, { ...(this.d.dbPath ? { dbPath: this.d.dbPath } : {}), indexPool: this.indexes }));
        await this.persist(scanId, { ...rematched, target }, digest, platform, 'rematch', rematched.db?.snapshot ?? snapshot);
        return 'rematched';
      }
      const report = await this.d.scanner.scanTarget(target, opts);
      await this.persist(scanId, report, report.digest ?? digest, platform, 'scan', report.db?.snapshot ?? snapshot);
      return 'completed';
    } finally {
      await releaseDigestLease(this.d.db, digest, platform, scanId).catch(() => {});
    }
  }

  /** Waits while another worker scans the same digest; its lease expiry bounds the wait if it died. */
  private async waitForDigestLease(digest: string, platform: string, scanId: string, signal: AbortSignal): Promise<void> {
    let delay = 100;
    while (!(await acquireDigestLease(this.d.db, digest, platform, scanId, this.d.leaseSeconds))) {
      if (signal.aborted) throw new Error('worker shutting down while waiting for another scan of the same digest');
      await new Promise((r) => setTimeout(r, delay + Math.floor(Math.random() * delay)));
      delay = Math.min(delay * 2, 2000);
    }
  }

  /** Writes the report (and the image's SBOM) to the object store, then completes the scan row. */
  private persist(scanId: string, report: Report, digest: string | null, platform: string, source: 'scan' | 'cache' | 'rematch', snapshot: string | null, existingKey?: string): Promise<void> {
    return this.timed('persist', async () => {
      const key = existingKey ?? reportKey(scanId);
      if (!existingKey) await this.d.objects.put(key, JSON.stringify(report));
      let image: { digest: string; platform: string; sbomKey: string } | undefined;
      if (digest) {
        const sKey = sbomKey(digest, platform);
        if (source !== 'cache') await this.d.objects.put(sKey, JSON.stringify(sbomDocument(report, digest, platform)));
        image = { digest, platform, sbomKey: sKey };
      }
      const done = await completeScan(this.d.db, scanId, {
        digest,
        summary: report.summary,
        secrets: report.secrets.length,
        advisorySnapshot: snapshot,
        reportKey: key,
        resultSource: source,
        vulnerabilities: report.vulnerabilities,
        ...(image ? { image } : {}),
      });
      if (!done) this.d.log.info({ scanId }, 'scan was completed by another delivery; result kept');
    });
  }
}
