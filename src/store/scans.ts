/**
 * Scan, finding and image persistence. Every state change is a single conditional UPDATE so that
 * at-least-once job delivery cannot produce two results: a scan is completed at most once, and
 * its findings are written in the same transaction as that transition. Each committed change is
 * announced in-process (scan-changes.ts) so status caches of this process never lag behind it.
 */
import { sql } from 'kysely';
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database, FindingRow, ImageRow, ScanRow, ScanStatus } from './schema.ts';
import type { Summary, Vulnerability } from '../model/report.ts';
import { UserInputError } from '../util/errors.ts';
import { announceScanChanged } from './scan-changes.ts';

export interface NewScan {
  id: string;
  type: string;
  target: string;
  platform?: string | null;
  priority: number;
  jobId: string;
  requestedBy?: string | null;
}

export async function createScan(db: Kysely<Database>, scan: NewScan): Promise<ScanRow> {
  const row = await db.insertInto('scans').values({
    id: scan.id,
    type: scan.type,
    target: scan.target,
    platform: scan.platform ?? null,
    status: 'queued',
    priority: scan.priority,
    error: null,
    job_id: scan.jobId,
    digest: null,
    advisory_snapshot: null,
    report_key: null,
    result_source: null,
    requested_by: scan.requestedBy ?? null,
  }).returningAll().executeTakeFirstOrThrow();
  announceScanChanged(db, row.id);
  return row;
}

export async function deleteScan(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('scans').where('id', '=', id).execute();
  announceScanChanged(db, id);
}

// The status read is the API's hottest query: compiled once per handle, only its parameter changes.
const getScanQueries = new WeakMap<Kysely<Database>, CompiledQuery<ScanRow>>();

export async function getScan(db: Kysely<Database>, id: string): Promise<ScanRow | undefined> {
  let compiled = getScanQueries.get(db);
  if (!compiled) {
    compiled = db.selectFrom('scans').selectAll().where('id', '=', id).compile();
    getScanQueries.set(db, compiled);
  }
  const result = await db.executeQuery<ScanRow>({ ...compiled, parameters: [id] });
  return result.rows[0];
}

export async function getFindings(db: Kysely<Database>, scanId: string): Promise<FindingRow[]> {
  return db.selectFrom('findings').selectAll().where('scan_id', '=', scanId).orderBy('id').execute();
}

export interface ListScansQuery {
  status?: ScanStatus;
  target?: string;
  digest?: string;
  deadLettered?: boolean;
  limit: number;
  cursor?: string;
}

export interface Page<T> { items: T[]; nextCursor: string | null }

interface CursorPos { ts: string; id: string }

/** Cursors carry the row's exact (microsecond) timestamp text and id, so pages never skip or repeat rows. */
export function encodeCursor(pos: CursorPos): string {
  return Buffer.from(`${pos.ts}|${pos.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPos {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\|([0-9a-f-]{36})$/.exec(text);
  if (!m || !m[1] || !m[2]) throw new UserInputError('cursor: not a cursor returned by this API', 'invalid_cursor');
  return { ts: m[1], id: m[2] };
}

export async function listScans(db: Kysely<Database>, q: ListScansQuery): Promise<Page<ScanRow>> {
  let query = db.selectFrom('scans').selectAll()
    .select(sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`.as('cursor_ts'));
  if (q.status) query = query.where('status', '=', q.status);
  if (q.target) query = query.where('target', '=', q.target);
  if (q.digest) query = query.where('digest', '=', q.digest);
  if (q.deadLettered) query = query.where('dead_lettered_at', 'is not', null);
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    query = query.where(sql<boolean>`(created_at, id) < ((${c.ts}::timestamp at time zone 'UTC'), ${c.id}::uuid)`);
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursor_ts: _c, ...row }) => row),
    nextCursor: more && last ? encodeCursor({ ts: last.cursor_ts, id: last.id }) : null,
  };
}

/**
 * Marks the start of an attempt. Returns undefined when the scan is already finished, which is how
 * a redelivered job (lease expired after the work was done) learns to do nothing.
 */
export async function startAttempt(db: Kysely<Database>, id: string): Promise<ScanRow | undefined> {
  const row = await db.updateTable('scans')
    .set({ status: 'scanning', attempts: sql<number>`attempts + 1`, started_at: sql<Date>`clock_timestamp()`, updated_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'scanning'])
    .returningAll()
    .executeTakeFirst();
  if (row) announceScanChanged(db, id);
  return row;
}

export interface ScanResult {
  digest: string | null;
  summary: Summary;
  secrets: number;
  advisorySnapshot: string | null;
  reportKey: string;
  resultSource: 'scan' | 'cache' | 'rematch';
  vulnerabilities: Vulnerability[];
  /** Set when the result should become the image's latest (registry targets with a digest). */
  image?: { digest: string; platform: string; sbomKey: string };
}

/** Completes a scan exactly once; returns false when another delivery already completed it. */
export async function completeScan(db: Kysely<Database>, id: string, r: ScanResult): Promise<boolean> {
  const completed = await db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable('scans').set({
      status: 'completed',
      digest: r.digest,
      critical: r.summary.critical,
      high: r.summary.high,
      medium: r.summary.medium,
      low: r.summary.low,
      unknown: r.summary.unknown,
      total: r.summary.total,
      secrets: r.secrets,
      advisory_snapshot: r.advisorySnapshot,
      report_key: r.reportKey,
      result_source: r.resultSource,
      error: null,
      completed_at: sql<Date>`clock_timestamp()`,
      updated_at: sql<Date>`clock_timestamp()`,
    }).where('id', '=', id).where('status', '!=', 'completed').returning('id').executeTakeFirst();
    if (!updated) return false;
    const rows = dedupeFindings(r.vulnerabilities).map((v) => ({
      scan_id: id,
      vuln_id: v.id,
      cve_id: v.cve_id,
      severity: v.severity,
      package_name: v.package_name,
      installed_version: v.installed_version,
      fixed_version: v.fixed_version,
      ecosystem: v.ecosystem,
      purl: v.purl,
      title: v.title,
      description: v.description,
    }));
    // Chunks keep each statement under PostgreSQL's 65,535 bind-parameter limit.
    for (let i = 0; i < rows.length; i += 1000) {
      await trx.insertInto('findings').values(rows.slice(i, i + 1000)).onConflict((oc) => oc.doNothing()).execute();
    }
    if (r.image) {
      await trx.insertInto('images').values({
        digest: r.image.digest,
        platform: r.image.platform,
        latest_scan_id: id,
        report_key: r.reportKey,
        sbom_key: r.image.sbomKey,
        advisory_snapshot: r.advisorySnapshot,
      }).onConflict((oc) => oc.columns(['digest', 'platform']).doUpdateSet({
        latest_scan_id: id,
        report_key: r.reportKey,
        sbom_key: r.image!.sbomKey,
        advisory_snapshot: r.advisorySnapshot,
        updated_at: sql<Date>`clock_timestamp()`,
      })).execute();
    }
    return true;
  });
  // Announced after the commit: a reader that sees the announcement also sees the findings.
  if (completed) announceScanChanged(db, id);
  return completed;
}

function dedupeFindings(vulns: Vulnerability[]): Vulnerability[] {
  const seen = new Set<string>();
  return vulns.filter((v) => {
    const k = `${v.id}\0${v.package_name}\0${v.installed_version}\0${v.purl}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Records a failed attempt; the scan goes back to `queued` while retries remain. */
export async function recordAttemptError(db: Kysely<Database>, id: string, error: string): Promise<void> {
  await db.updateTable('scans').set({ status: 'queued', error: truncate(error), updated_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', id).where('status', '!=', 'completed').execute();
  announceScanChanged(db, id);
}

/** Final failure: every attempt used (or the job's lease expired on the last one). */
export async function markDeadLettered(db: Kysely<Database>, id: string, error: string | undefined, expectJobId?: string): Promise<boolean> {
  let q = db.updateTable('scans').set({
    status: 'failed',
    error: error === undefined ? sql<string>`coalesce(error, 'job lease expired: the worker stopped responding')` : truncate(error),
    dead_lettered_at: sql<Date>`clock_timestamp()`,
    completed_at: sql<Date>`clock_timestamp()`,
    updated_at: sql<Date>`clock_timestamp()`,
  }).where('id', '=', id).where('status', '!=', 'completed');
  if (expectJobId) q = q.where('job_id', '=', expectJobId);
  const changed = Boolean(await q.returning('id').executeTakeFirst());
  if (changed) announceScanChanged(db, id);
  return changed;
}

/** Puts a failed scan back in the queue (retry / dead-letter requeue); false when it is not failed. */
export async function resetForRetry(db: Kysely<Database>, id: string, newJobId: string): Promise<ScanRow | undefined> {
  const row = await db.updateTable('scans').set({
    status: 'queued',
    job_id: newJobId,
    attempts: 0,
    dead_lettered_at: null,
    completed_at: null,
    updated_at: sql<Date>`clock_timestamp()`,
  }).where('id', '=', id).where('status', '=', 'failed').returningAll().executeTakeFirst();
  if (row) announceScanChanged(db, id);
  return row;
}

export async function countByStatus(db: Kysely<Database>): Promise<Record<ScanStatus, number>> {
  const rows = await db.selectFrom('scans').select(['status', sql<string>`count(*)`.as('n')]).groupBy('status').execute();
  const out: Record<ScanStatus, number> = { queued: 0, scanning: 0, completed: 0, failed: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

export async function getImage(db: Kysely<Database>, digest: string, platform?: string): Promise<ImageRow | undefined> {
  let q = db.selectFrom('images').selectAll().where('digest', '=', digest);
  if (platform !== undefined) q = q.where('platform', '=', platform);
  return q.orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
}

/** Every image with its latest scan's target, for bulk rescans; ordered for stable batches. */
export async function listImagesForRescan(db: Kysely<Database>, limit: number): Promise<Array<{ digest: string; platform: string; target: string }>> {
  return db.selectFrom('images').innerJoin('scans', 'scans.id', 'images.latest_scan_id')
    .select(['images.digest', 'images.platform', 'scans.target'])
    .orderBy('images.updated_at', 'asc').orderBy('images.digest').limit(limit).execute();
}

/**
 * Takes the per-digest scan lease (one in-flight scan per image digest and platform). A lease held
 * by a dead worker expires and can be taken over; the holder may renew its own.
 */
export async function acquireDigestLease(db: Kysely<Database>, digest: string, platform: string, scanId: string, seconds: number): Promise<boolean> {
  const row = await db.insertInto('digest_leases')
    .values({ digest, platform, scan_id: scanId, lease_until: sql<Date>`clock_timestamp() + make_interval(secs => ${seconds})` })
    .onConflict((oc) => oc.columns(['digest', 'platform']).doUpdateSet({
      scan_id: scanId,
      lease_until: sql<Date>`clock_timestamp() + make_interval(secs => ${seconds})`,
    }).where(sql<boolean>`digest_leases.lease_until < clock_timestamp() or digest_leases.scan_id = ${scanId}::uuid`))
    .returning('scan_id')
    .executeTakeFirst();
  return row?.scan_id === scanId;
}

export async function releaseDigestLease(db: Kysely<Database>, digest: string, platform: string, scanId: string): Promise<void> {
  await db.deleteFrom('digest_leases').where('digest', '=', digest).where('platform', '=', platform).where('scan_id', '=', scanId).execute();
}

function truncate(s: string): string {
  return s.length > 4000 ? `${s.slice(0, 3997)}...` : s;
}
