/**
 * `portwarden db update`: downloads advisory exports (which ones: src/vulndb/update-plan.ts), with conditional requests (ETag / Last-Modified → 304 keeps the data), retries on 5xx and network
 * errors, resumption of a partial download (HTTP Range + If-Range), integrity checks (zip CRC of every
 * entry, optional `.sha256` sidecar), then builds a new index and swaps it in atomically. A source that
 * cannot be fetched or verified keeps its previous records.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { PortwardenError, UserInputError } from '../util/errors.ts';
import { importAdvisories } from './import.ts';
import type { FileReport } from './import.ts';
import { defaultDbPath, readDbStatus } from './store.ts';
import type { SourceRow } from './store.ts';
import { ZipFormatError, fileSource, listZipEntries, readZipEntry } from '../util/zip.ts';
import { osvBaseUrl, planUpdate } from './update-plan.ts';
import type { UpdatePlan } from './update-plan.ts';

export { DEFAULT_OSV_BASE_URL, osvBaseUrl, osvExportUrl, osvFullExportUrl } from './update-plan.ts';
export type { UpdatePlan } from './update-plan.ts';

export interface UpdateOptions {
  dbPath?: string;
  /** Explicit source URLs (any format `db import` reads). */
  sources?: string[];
  /**
   * OSV ecosystems to fetch from the OSV export base URL, mapped to OSV.dev's export names
   * (`Debian:12` → `Debian`). Without ecosystems and sources: the ecosystems recorded from scanned
   * images (`seenEcosystemsFile`), else OSV.dev's full export.
   */
  ecosystems?: string[];
  /** Fetch OSV.dev's full export (every ecosystem) instead of per-ecosystem ones. */
  all?: boolean;
  /** The record of scanned ecosystems; default next to the index (src/vulndb/seen-ecosystems.ts). */
  seenEcosystemsFile?: string;
  baseUrl?: string;
  /** Attempts per request (default 3) and the first back-off delay in ms (default 500, doubling). */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
  maxDownloadBytes?: number;
  /** Progress lines for the CLI. */
  log?: (line: string) => void;
}

export interface UpdateResult {
  plan: UpdatePlan;
  path: string;
  snapshot: string;
  builtAt: string;
  rebuilt: boolean;
  updated: string[];
  unchanged: string[];
  failed: { url: string; error: string }[];
  files: FileReport[];
}

interface Download {
  url: string;
  file: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
  sha256: string;
}

interface PartialMeta {
  url: string;
  etag?: string | undefined;
  lastModified?: string | undefined;
}

class HttpStatusError extends Error {
  constructor(readonly status: number, url: string) {
    super(`HTTP ${status} from ${url}`);
  }
}

/**
 * Local file extension for a download, which decides how import reads it: `…/all.zip` → .zip,
 * `…/v3.19/main.json` → .json, the tracker's `…/data/DSA/list` → .list; without a known extension
 * (`…/tracker/data/json`) the content is sniffed as JSON.
 */
function extensionFor(url: string): string {
  const p = new URL(url).pathname.toLowerCase();
  for (const ext of ['.jsonl.gz', '.jsonl', '.zip', '.json', '.yaml', '.yml', '.list']) if (p.endsWith(ext)) return ext;
  if (/\/d[sl]a\/list$/.test(p)) return '.list';
  return '.json';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Every entry inflated and CRC-checked before anything is replaced. */
function verifyZip(file: string, maxEntry: number): void {
  const src = fileSource(file);
  try {
    for (const entry of listZipEntries(src)) if (!entry.name.endsWith('/')) readZipEntry(src, entry, maxEntry);
  } finally {
    src.close();
  }
}

async function fetchSource(url: string, known: SourceRow | undefined, workDir: string, opts: Required<Pick<UpdateOptions, 'attempts' | 'backoffMs' | 'timeoutMs' | 'maxDownloadBytes'>>, log: (s: string) => void): Promise<Download | 'unchanged'> {
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  const file = path.join(workDir, `.download-${key}${extensionFor(url)}`);
  const metaFile = path.join(workDir, `.download-${key}.json`);
  let lastError: unknown;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    if (attempt > 1) await sleep(opts.backoffMs * 2 ** (attempt - 2));
    try {
      const headers: Record<string, string> = { 'user-agent': 'portwarden-db-update' };
      if (known?.etag) headers['if-none-match'] = known.etag;
      if (known?.last_modified) headers['if-modified-since'] = known.last_modified;
      let partial: PartialMeta | undefined;
      let offset = 0;
      if (existsSync(file) && existsSync(metaFile)) {
        try {
          partial = JSON.parse(readFileSync(metaFile, 'utf8')) as PartialMeta;
        } catch {
          partial = undefined;
        }
        const validator = partial?.etag ?? partial?.lastModified;
        if (partial?.url === url && validator) {
          offset = statSync(file).size;
          headers.range = `bytes=${offset}-`;
          headers['if-range'] = validator;
        }
      }
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs), redirect: 'follow' });
      if (res.status === 304) {
        await res.body?.cancel();
        return 'unchanged';
      }
      if (res.status === 416 && offset > 0) {
        await res.body?.cancel();
        rmSync(file, { force: true });
        rmSync(metaFile, { force: true });
        throw new Error(`server refused to resume ${url}; restarting`);
      }
      if (res.status >= 500 || res.status === 429) {
        await res.body?.cancel();
        throw new HttpStatusError(res.status, url);
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel();
        throw new PortwardenError('db_update_http', `HTTP ${res.status} from ${url}`);
      }
      const resumed = res.status === 206 && offset > 0;
      const etag = res.headers.get('etag') ?? undefined;
      const lastModified = res.headers.get('last-modified') ?? undefined;
      writeFileSync(metaFile, JSON.stringify({ url, etag, lastModified } satisfies PartialMeta));
      if (!res.body) throw new Error(`empty body from ${url}`);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(declared) && declared + (resumed ? offset : 0) > opts.maxDownloadBytes) {
        await res.body.cancel();
        throw new PortwardenError('db_update_size', `${url} is ${declared} bytes, over the ${opts.maxDownloadBytes}-byte limit`);
      }
      if (resumed) log(`resuming ${url} at byte ${offset}`);
      let written = resumed ? offset : 0;
      const limit = opts.maxDownloadBytes;
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      const out = createWriteStream(file, { flags: resumed ? 'a' : 'w' });
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          written += chunk.length;
          if (written > limit) throw new PortwardenError('db_update_size', `${url} exceeds the ${limit}-byte limit`);
          if (!out.write(chunk)) await once(out, 'drain');
        }
      } catch (err) {
        // Keep every byte that arrived before the body broke off (pipeline() would drop chunks still
        // queued for the file): the next attempt resumes after them instead of starting over.
        out.end();
        await finished(out).catch(() => undefined);
        throw err;
      }
      out.end();
      await finished(out);
      return { url, file, etag, lastModified, sha256: await sha256File(file) };
    } catch (err) {
      lastError = err;
      if (err instanceof PortwardenError) throw err;
      log(`attempt ${attempt}/${opts.attempts} for ${url} failed: ${describeFetchError(err)}`);
    }
  }
  throw lastError;
}

/** The `.sha256` sidecar when the server has one (first hex token); undefined on 404 or no server support. */
async function fetchSidecar(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}.sha256`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return undefined;
    }
    const m = /\b([0-9a-f]{64})\b/i.exec(await res.text());
    return m?.[1]?.toLowerCase();
  } catch {
    return undefined;
  }
}

function knownSources(dbPath: string): { sources: Map<string, SourceRow>; snapshot?: string; builtAt?: string } {
  if (!existsSync(dbPath)) return { sources: new Map() };
  try {
    const s = readDbStatus(dbPath);
    return { sources: new Map(s.sources.map((r) => [r.name, r])), snapshot: s.snapshot, builtAt: s.builtAt };
  } catch {
    return { sources: new Map() };
  }
}

/**
 * Updates the index from the network. Throws `db_offline` when no source could be reached at all,
 * naming the database still in use; otherwise returns what changed and what failed.
 */
export async function updateDatabase(options: UpdateOptions = {}): Promise<UpdateResult> {
  const dbPath = path.resolve(options.dbPath ?? defaultDbPath());
  const base = options.baseUrl ?? osvBaseUrl();
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 300_000;
  const plan = await planUpdate({ sources: options.sources, ecosystems: options.ecosystems, all: options.all, seenEcosystemsFile: options.seenEcosystemsFile, dbPath, baseUrl: base, timeoutMs, log });
  const urls = plan.urls;
  for (const u of urls) {
    try {
      const parsed = new URL(u);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new UserInputError(`invalid source URL ${JSON.stringify(u)}`);
    }
  }
  const opts = {
    attempts: options.attempts ?? 3,
    backoffMs: options.backoffMs ?? 500,
    timeoutMs,
    maxDownloadBytes: options.maxDownloadBytes ?? 2 * 1024 * 1024 * 1024,
  };
  const workDir = path.dirname(dbPath);
  mkdirSync(workDir, { recursive: true });
  const known = knownSources(dbPath);
  const downloads: Download[] = [];
  const unchanged: string[] = [];
  const failed: { url: string; error: string }[] = [];
  let networkFailures = 0;
  for (const url of urls) {
    try {
      const got = await fetchSource(url, known.sources.get(url), workDir, opts, log);
      if (got === 'unchanged') {
        log(`${url}: not modified`);
        unchanged.push(url);
        continue;
      }
      const expected = await fetchSidecar(url, opts.timeoutMs);
      if (expected && expected !== got.sha256) throw new PortwardenError('db_update_integrity', `${url}: sha256 ${got.sha256} does not match the published ${expected}`);
      if (got.file.endsWith('.zip')) {
        try {
          verifyZip(got.file, 256 * 1024 * 1024);
        } catch (err) {
          throw new PortwardenError('db_update_integrity', `${url}: corrupt archive: ${err instanceof ZipFormatError ? err.message : describeFetchError(err)}`);
        }
      }
      downloads.push(got);
    } catch (err) {
      if (!(err instanceof PortwardenError)) networkFailures++;
      const message = describeFetchError(err);
      failed.push({ url, error: message });
      // A corrupt or rejected file is not worth resuming.
      if (err instanceof PortwardenError) cleanupDownload(workDir, url);
      log(`${url}: ${message}`);
    }
  }
  const inUse = known.snapshot ? `the existing database (snapshot ${known.snapshot}, built ${known.builtAt}) is still in use` : `no advisory database exists yet at ${dbPath}`;
  if (downloads.length === 0 && unchanged.length === 0 && networkFailures > 0) {
    const first = failed[0];
    throw new PortwardenError('db_offline', `cannot reach ${first?.url}: ${first?.error}; ${inUse}`);
  }
  if (downloads.length === 0) {
    if (!known.snapshot) throw new PortwardenError('db_update_failed', `no source could be used: ${failed.map((f) => f.error).join('; ')}; ${inUse}`);
    return { plan, path: dbPath, snapshot: known.snapshot, builtAt: known.builtAt ?? '', rebuilt: false, updated: [], unchanged, failed, files: [] };
  }
  const byFile = new Map(downloads.map((d) => [d.file, d]));
  const summary = await importAdvisories(
    downloads.map((d) => d.file),
    {
      dbPath,
      dropSources: downloads.map((d) => d.url),
      sourceFor: (file) => {
        const d = byFile.get(file);
        return { name: d?.url ?? file, url: d?.url, etag: d?.etag, last_modified: d?.lastModified, sha256: d?.sha256 };
      },
    },
  );
  for (const d of downloads) cleanupDownload(workDir, d.url);
  return {
    plan, path: summary.path, snapshot: summary.snapshot, builtAt: summary.builtAt, rebuilt: true,
    updated: downloads.map((d) => d.url), unchanged, failed, files: summary.files,
  };
}

function cleanupDownload(workDir: string, url: string): void {
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  rmSync(path.join(workDir, `.download-${key}${extensionFor(url)}`), { force: true });
  rmSync(path.join(workDir, `.download-${key}.json`), { force: true });
}
