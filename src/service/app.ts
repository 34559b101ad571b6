/**
 * The HTTP API (fastify 5). Routes validate every input against the TypeBox schemas in
 * schemas.ts, answer errors as `{error, message}` without stack traces, and enforce auth scopes,
 * per-token/per-IP rate limits and a body size limit.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import Fastify, { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, ScanRow } from '../store/schema.ts';
import type { ObjectStore } from '../store/objects.ts';
import type { JobQueue } from '../queue/types.ts';
import { PRIORITY } from '../queue/types.ts';
import type { ServiceMetrics } from '../telemetry/metrics.ts';
import type { Scope, TokenIdentity } from '../store/tokens.ts';
import { countActiveTokens, hasScope, verifyToken } from '../store/tokens.ts';
import { createScan, deleteScan, getFindings, getImage, getScan, listImagesForRescan, listScans, resetForRetry } from '../store/scans.ts';
import { sbomKey } from '../store/objects.ts';
import { onScanChanged } from '../store/scan-changes.ts';
import { ScanViewCache } from './scan-view-cache.ts';
import type { LoadedView } from './scan-view-cache.ts';
import { TargetGuard, parseRegistryTarget, validatePlatform } from './target-guard.ts';
import { PortwardenError, UserInputError, errorMessage } from '../util/errors.ts';
import { VERSION } from '../version.ts';
import { renderDashboard } from './dashboard.ts';
import { DISTRIBUTION_EVENTS_TYPE, pushTargetsFromEnvelope } from './webhooks.ts';
import * as S from './schemas.ts';
import { renderReport } from '../report/index.ts';
import { summarize } from '../report/summary.ts';
import type { Report } from '../model/report.ts';

/** What the worker stores per digest (see sbomDocument in worker.ts). */
interface StoredInventory {
  digest: string;
  artifact: Report['artifact'];
  os?: Report['os'];
  packages: Report['packages'];
}

/** A findings-free report around a stored inventory, so the SBOM writers the CLI uses serve the API too. */
function inventoryAsReport(inv: StoredInventory, updatedAt: Date | undefined): Report {
  return {
    schema_version: 1,
    tool: { name: 'portwarden', version: VERSION },
    created_at: (updatedAt ?? new Date(0)).toISOString(),
    target: inv.artifact.reference,
    digest: inv.digest,
    artifact: inv.artifact,
    ...(inv.os ? { os: inv.os } : {}),
    packages: inv.packages,
    vulnerabilities: [],
    secrets: [],
    summary: summarize([]),
    warnings: [],
  };
}

export interface AppDeps {
  db: Kysely<Database>;
  queue: JobQueue;
  objects: ObjectStore;
  guard: TargetGuard;
  log: Logger;
  metrics: ServiceMetrics;
  /** undefined = anonymous only when bound to loopback and no token exists. */
  allowAnonymous?: boolean;
  boundToLoopback: boolean;
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  bodyLimitBytes: number;
  advisoryDbPath: string;
  ping: () => Promise<void>;
  /**
   * `pglite`: every writer of the store is in this process (the embedded store cannot be shared),
   * so cached scan views are invalidated by every change and need no expiry. Otherwise (PostgreSQL,
   * or unknown) other processes may write, and views of unfinished scans live SHARED_STORE_VIEW_TTL_MS.
   */
  storeKind?: 'pglite' | 'postgres';
}

/** Longest a GET /scans/{id} answer may lag behind a change made by another process (docs/api.md). */
export const SHARED_STORE_VIEW_TTL_MS = 1000;

/** Memory the GET /scans/{id} view cache may hold (estimated): a few hundred large completed scans. */
export const SCAN_VIEW_CACHE_BYTES = 256 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig { scope?: Scope | 'public' }
  interface FastifyRequest { identity?: TokenIdentity }
}

const PRIORITY_VALUE: Record<string, number> = { urgent: PRIORITY.urgent, normal: PRIORITY.normal, bulk: PRIORITY.bulk };
function priorityName(n: number): string {
  return n >= PRIORITY.urgent ? 'urgent' : n >= PRIORITY.normal ? 'normal' : 'bulk';
}

class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

const ANONYMOUS: TokenIdentity = { id: 'anonymous', name: 'anonymous', scopes: ['admin'] };

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

function links(row: ScanRow): { self: string; report_url: string; sbom_url: string | null } {
  return {
    self: `/scans/${row.id}`,
    report_url: `/scans/${row.id}/report`,
    sbom_url: row.digest ? `/images/${row.digest}/sbom${row.platform ? `?platform=${encodeURIComponent(row.platform)}` : ''}` : null,
  };
}

export function scanView(row: ScanRow) {
  return {
    scan_id: row.id,
    type: row.type,
    target: row.target,
    platform: row.platform,
    status: row.status,
    digest: row.digest,
    priority: priorityName(row.priority),
    attempts: row.attempts,
    error: row.error,
    created_at: row.created_at.toISOString(),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    dead_lettered_at: iso(row.dead_lettered_at),
    advisory_snapshot: row.advisory_snapshot,
    result_source: row.result_source,
    summary: { critical: row.critical, high: row.high, medium: row.medium, low: row.low, unknown: row.unknown, total: row.total },
    secrets: { total: row.secrets },
    links: links(row),
  };
}

type ScanDetailView = ReturnType<typeof scanView> & { vulnerabilities: unknown[] };

async function loadScanDetail(db: Kysely<Database>, id: string): Promise<LoadedView<ScanDetailView> | undefined> {
  const row = await getScan(db, id);
  if (!row) return undefined;
  const findings = row.status === 'completed' ? await getFindings(db, row.id) : [];
  // Size estimate for the view cache's byte bound: two bytes per character of text plus per-object overhead.
  let chars = 0;
  const vulnerabilities = findings.map((f) => {
    chars += f.vuln_id.length + (f.cve_id?.length ?? 0) + f.package_name.length + f.installed_version.length + (f.fixed_version?.length ?? 0) + f.purl.length + f.title.length + f.description.length;
    return { id: f.vuln_id, cve_id: f.cve_id, severity: f.severity, package_name: f.package_name, installed_version: f.installed_version, fixed_version: f.fixed_version, ecosystem: f.ecosystem, purl: f.purl, title: f.title, description: f.description };
  });
  const view = { ...scanView(row), vulnerabilities };
  return { view, immutable: row.status === 'completed', bytes: 2 * chars + 200 * vulnerabilities.length + 2048 };
}

export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.log,
    // Per-request access logs cost ~20% throughput; latency is in the metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: false,
    // Strict input: unknown fields are rejected (not silently dropped) and types are not coerced in bodies.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    genReqId: () => randomUUID(),
  });

  // Completed views never change; others are invalidated by every change made in this process
  // and, when other processes share the store, expire after SHARED_STORE_VIEW_TTL_MS.
  const scanViews = new ScanViewCache<ScanDetailView>({ maxEntries: 2000, maxBytes: SCAN_VIEW_CACHE_BYTES, ttlMs: deps.storeKind === 'pglite' ? Infinity : SHARED_STORE_VIEW_TTL_MS });
  const stopListening = onScanChanged(deps.db, (id) => scanViews.invalidate(id));
  app.addHook('onClose', async () => stopListening());

  let tokenCount: { n: number; at: number } | undefined;
  async function anonymousAllowed(): Promise<boolean> {
    if (deps.allowAnonymous !== undefined) return deps.allowAnonymous;
    if (!deps.boundToLoopback) return false;
    // Tokens are created by the CLI (maybe another process): re-count at most every 2 s.
    if (!tokenCount || Date.now() - tokenCount.at > 2000) tokenCount = { n: await countActiveTokens(deps.db), at: Date.now() };
    return tokenCount.n === 0;
  }

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown; validationContext?: string }, req, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    if (err instanceof UserInputError) return reply.code(400).send({ error: err.code, message: err.message });
    if (err.validation) return reply.code(400).send({ error: 'invalid_request', message: err.message });
    if (err.statusCode === 413) return reply.code(413).send({ error: 'payload_too_large', message: `request body exceeds ${deps.bodyLimitBytes} bytes` });
    if (err.statusCode === 429) return reply.code(429).send({ error: 'rate_limited', message: err.message });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.code ?? 'bad_request', message: err.message });
    req.log.error({ err: errorMessage(err), code: err instanceof PortwardenError ? err.code : undefined }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal server error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // Runs after authentication (preHandler), so the budget belongs to a verified token or, for
  // anonymous requests, to the client IP: rotating made-up tokens cannot buy fresh budgets.
  await app.register(rateLimit, {
    max: deps.rateLimitMax,
    timeWindow: deps.rateLimitWindowSeconds * 1000,
    hook: 'preHandler',
    keyGenerator: (req) => (req.identity && req.identity !== ANONYMOUS ? `t:${req.identity.id}` : `ip:${req.ip}`),
    allowList: (req) => req.routeOptions.config?.scope === 'public',
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: 'rate_limited', message: `rate limit exceeded: ${ctx.max} requests per ${ctx.after}` }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Portwarden scan service', version: VERSION, description: 'Container image scanning: submit scans, read results, SBOMs and dead letters.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from `portwarden token create`.' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });

  app.addHook('onRequest', async (req) => {
    const scope = req.routeOptions.config?.scope;
    if (scope === 'public' || req.url.startsWith('/docs')) return;
    const header = req.headers.authorization;
    if (!header) {
      if (await anonymousAllowed()) {
        req.identity = ANONYMOUS;
        return;
      }
      throw new HttpError(401, 'unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    }
    const m = /^Bearer ([^\s]+)$/.exec(header);
    const identity = m?.[1] ? await verifyToken(deps.db, m[1]) : undefined;
    if (!identity) throw new HttpError(401, 'unauthorized', 'invalid or revoked token');
    req.identity = identity;
    if (scope && !hasScope(identity, scope)) throw new HttpError(403, 'forbidden', `token lacks scope ${scope}`);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode === 401) reply.header('www-authenticate', 'Bearer realm="portwarden"');
    return payload;
  });

  const publicRoute = { config: { scope: 'public' as const }, schema: { hide: true } };

  /**
   * Ready only when scans could read the index: it exists, is an index, and has the layout this build
   * reads (after an upgrade that changed it, until `portwarden db update` has run).
   */
  const advisoryDbCheck = async (dbPath: string): Promise<string> => {
    if (!existsSync(dbPath)) return `missing: ${dbPath} (run portwarden db update)`;
    try {
      // Loaded on first use: an API process that is never asked does not load SQLite.
      const { openIndexDatabase } = await import('../vulndb/store.ts');
      openIndexDatabase(dbPath).close();
      return 'ok';
    } catch (err) {
      return errorMessage(err);
    }
  };

  app.get('/healthz', publicRoute, async () => ({ status: 'ok' }));

  app.get('/readyz', publicRoute, async (_req, reply) => {
    const checks: Record<string, string> = {};
    try { await deps.ping(); checks.store = 'ok'; } catch (err) { checks.store = errorMessage(err); }
    try { await deps.queue.depth(); checks.queue = 'ok'; } catch (err) { checks.queue = errorMessage(err); }
    try { await deps.objects.check(); checks.object_store = 'ok'; } catch (err) { checks.object_store = errorMessage(err); }
    checks.advisory_db = await advisoryDbCheck(deps.advisoryDbPath);
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', { config: { scope: 'scan:read' }, schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  app.get('/openapi.json', publicRoute, async () => app.swagger());

  app.get('/', { config: { scope: 'scan:read' }, schema: { hide: true } }, async (_req, reply) => {
    const page = await listScans(deps.db, { limit: 50 });
    reply.header('content-type', 'text/html; charset=utf-8');
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    return renderDashboard(page.items.map(scanView));
  });

  app.post('/scans', {
    config: { scope: 'scan:write' },
    schema: {
      summary: 'Queue a scan', tags: ['scans'], body: S.CreateScanBody,
      response: { 202: S.CreateScanResponse, 400: S.ErrorBody, 401: S.ErrorBody, 403: S.ErrorBody, 413: S.ErrorBody, 429: S.ErrorBody },
    },
  }, async (req, reply) => {
    const body = req.body as S.CreateScanBody;
    if (body.platform) validatePlatform(body.platform);
    const verdict = await deps.guard.check(body.target);
    if (verdict.ok === false) throw new HttpError(400, 'target_not_allowed', `target: ${verdict.reason}`);
    const priority = body.priority ?? 'normal';
    const row = await queueScan(body.target, body.platform ?? null, PRIORITY_VALUE[priority] ?? PRIORITY.normal, req.identity?.name ?? null);
    const id = row.id;
    reply.header('location', `/scans/${id}`);
    return reply.code(202).send({ scan_id: id, status: 'queued', message: 'Scan request queued successfully', type: body.type, target: body.target, platform: row.platform, priority, links: links(row) });
  });

  app.addContentTypeParser(DISTRIBUTION_EVENTS_TYPE, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new HttpError(400, 'invalid_request', 'body is not valid JSON'), undefined);
    }
  });

  /** Queues one scan; removes the row again if the queue refuses, so no scan waits for a job that does not exist. */
  async function queueScan(target: string, platform: string | null, priority: number, requestedBy: string | null) {
    const id = randomUUID();
    const jobId = randomUUID();
    const row = await createScan(deps.db, { id, type: 'docker-image', target, platform, priority, jobId, requestedBy });
    try {
      await deps.queue.enqueue({ scanId: id, jobId }, { priority, id: jobId });
    } catch (err) {
      await deleteScan(deps.db, id).catch(() => {});
      throw err;
    }
    return row;
  }

  app.post('/webhooks/registry', {
    config: { scope: 'scan:write' },
    bodyLimit: 1024 * 1024,
    schema: { summary: 'Distribution registry notifications: scan every pushed tagged manifest', tags: ['webhooks'] },
  }, async (req, reply) => {
    const { targets, skipped } = pushTargetsFromEnvelope(req.body);
    const queued: Array<{ scan_id: string; target: string }> = [];
    for (const t of targets) {
      const verdict = await deps.guard.check(t.target).catch((err: unknown) => ({ ok: false as const, reason: errorMessage(err) }));
      if (verdict.ok === false) {
        skipped.push({ ...(t.event_id ? { event_id: t.event_id } : {}), reason: verdict.reason });
        continue;
      }
      const row = await queueScan(t.target, null, PRIORITY.normal, req.identity?.name ?? null);
      queued.push({ scan_id: row.id, target: t.target });
    }
    return reply.code(202).send({ queued, skipped });
  });

  app.post('/rescans', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Bulk rescan of every known image by digest (low priority; re-matches stored inventories when advisories changed)', tags: ['scans'],
      body: S.RescanBody, response: { 202: S.RescanResponse },
    },
  }, async (req, reply) => {
    const body = (req.body ?? {}) as { limit?: number };
    const images = await listImagesForRescan(deps.db, body.limit ?? 10000);
    let queued = 0;
    const skipped: string[] = [];
    for (const img of images) {
      // Pin the digest that was scanned: a rescan re-evaluates that image, not whatever the tag points at now.
      let target: string;
      try {
        const ref = parseRegistryTarget(img.target);
        target = `${ref.registry}/${ref.repository}@${img.digest}`;
      } catch {
        skipped.push(img.digest);
        continue;
      }
      await queueScan(target, img.platform || null, PRIORITY.bulk, req.identity?.name ?? null);
      queued++;
    }
    return reply.code(202).send({ queued, skipped });
  });

  app.get('/scans', {
    config: { scope: 'scan:read' },
    schema: { summary: 'List scans, newest first (cursor pagination)', tags: ['scans'], querystring: S.ListScansQuery, response: { 200: S.ScanList, 400: S.ErrorBody } },
  }, async (req) => {
    const q = req.query as S.ListScansQuery;
    const page = await listScans(deps.db, { limit: q.limit ?? 50, ...(q.status ? { status: q.status } : {}), ...(q.target ? { target: q.target } : {}), ...(q.digest ? { digest: q.digest } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) });
    return { items: page.items.map(scanView), next_cursor: page.nextCursor };
  });

  app.get('/scans/:scan_id', {
    config: { scope: 'scan:read' },
    schema: { summary: 'Scan status and findings', tags: ['scans'], params: S.ScanIdParams, response: { 200: S.ScanDetail, 400: S.ErrorBody, 404: S.ErrorBody } },
  }, async (req) => {
    const { scan_id } = req.params as { scan_id: string };
    const view = await scanViews.get(scan_id, () => loadScanDetail(deps.db, scan_id));
    if (!view) throw new HttpError(404, 'not_found', `scan ${scan_id} not found`);
    return view;
  });

  app.get('/scans/:scan_id/report', {
    config: { scope: 'scan:read' },
    schema: { summary: 'Full report (the one Report schema)', tags: ['scans'], params: S.ScanIdParams },
  }, async (req, reply) => {
    const { scan_id } = req.params as { scan_id: string };
    const row = await getScan(deps.db, scan_id);
    if (!row) throw new HttpError(404, 'not_found', `scan ${scan_id} not found`);
    if (row.status !== 'completed' || !row.report_key) throw new HttpError(404, 'report_not_ready', `scan ${scan_id} is ${row.status}; the report exists once it completes`);
    const body = await deps.objects.get(row.report_key);
    if (!body) throw new HttpError(404, 'report_missing', `report object for scan ${scan_id} is missing from the object store`);
    reply.header('content-type', 'application/json; charset=utf-8');
    return reply.send(body);
  });

  app.post('/scans/:scan_id/retry', {
    config: { scope: 'scan:write' },
    schema: { summary: 'Retry a failed scan', tags: ['scans'], params: S.ScanIdParams, response: { 202: S.QueuedResponse, 404: S.ErrorBody, 409: S.ErrorBody } },
  }, async (req, reply) => requeue((req.params as { scan_id: string }).scan_id, reply));

  async function requeue(id: string, reply: FastifyReply) {
    const existing = await getScan(deps.db, id);
    if (!existing) throw new HttpError(404, 'not_found', `scan ${id} not found`);
    const jobId = randomUUID();
    const row = await resetForRetry(deps.db, id, jobId);
    if (!row) throw new HttpError(409, 'not_failed', `scan ${id} is ${existing.status}; only failed scans can be retried`);
    await deps.queue.enqueue({ scanId: id, jobId }, { priority: row.priority, id: jobId });
    return reply.code(202).send({ scan_id: id, status: 'queued', message: 'Scan request queued successfully' });
  }

  app.get('/dead-letter', {
    config: { scope: 'scan:read' },
    schema: { summary: 'Scans that used every attempt', tags: ['dead-letter'], querystring: S.PageQuery, response: { 200: S.ScanList, 400: S.ErrorBody } },
  }, async (req) => {
    const q = req.query as { limit?: number; cursor?: string };
    const page = await listScans(deps.db, { deadLettered: true, limit: q.limit ?? 50, ...(q.cursor ? { cursor: q.cursor } : {}) });
    return { items: page.items.map(scanView), next_cursor: page.nextCursor };
  });

  app.post('/dead-letter/:scan_id/requeue', {
    config: { scope: 'admin' },
    schema: { summary: 'Requeue a dead-lettered scan (attempts start again)', tags: ['dead-letter'], params: S.ScanIdParams, response: { 202: S.QueuedResponse, 404: S.ErrorBody, 409: S.ErrorBody } },
  }, async (req, reply) => requeue((req.params as { scan_id: string }).scan_id, reply));

  app.get('/images/:digest', {
    config: { scope: 'scan:read' },
    schema: { summary: 'Latest result for an image digest', tags: ['images'], params: S.DigestParams, querystring: S.PlatformQuery, response: { 200: S.ImageDetail, 400: S.ErrorBody, 404: S.ErrorBody } },
  }, async (req) => {
    const { digest } = req.params as { digest: string };
    const { platform } = req.query as { platform?: string };
    const image = await getImage(deps.db, digest, platform);
    if (!image) throw new HttpError(404, 'not_found', `no scan result for image ${digest}`);
    const scan = await getScan(deps.db, image.latest_scan_id);
    const plat = image.platform ? `?platform=${encodeURIComponent(image.platform)}` : '';
    return {
      digest: image.digest,
      platform: image.platform || null,
      latest_scan_id: image.latest_scan_id,
      advisory_snapshot: image.advisory_snapshot,
      updated_at: image.updated_at.toISOString(),
      summary: scan ? scanView(scan).summary : { critical: 0, high: 0, medium: 0, low: 0, unknown: 0, total: 0 },
      report_url: `/scans/${image.latest_scan_id}/report`,
      sbom_url: `/images/${image.digest}/sbom${plat}`,
    };
  });

  app.get('/images/:digest/sbom', {
    config: { scope: 'scan:read' },
    schema: { summary: 'Inventory (SBOM) of an image: stored inventory, CycloneDX or SPDX', tags: ['images'], params: S.DigestParams, querystring: S.SbomQuery },
  }, async (req, reply) => {
    const { digest } = req.params as { digest: string };
    const { platform, format } = req.query as { platform?: string; format?: 'portwarden' | 'cyclonedx-json' | 'spdx-json' };
    const image = await getImage(deps.db, digest, platform);
    const body = await deps.objects.get(image ? image.sbom_key : sbomKey(digest, platform ?? ''));
    if (!body) throw new HttpError(404, 'not_found', `no SBOM for image ${digest}`);
    reply.header('content-type', 'application/json; charset=utf-8');
    if (!format || format === 'portwarden') return reply.send(body);
    return reply.send(renderReport(inventoryAsReport(JSON.parse(body.toString('utf8')) as StoredInventory, image?.updated_at), format));
  });

  return app;
}

export type ServiceApp = Awaited<ReturnType<typeof buildApp>>;
export type { FastifyRequest };
