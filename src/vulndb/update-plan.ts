/**
 * What `db update` downloads, and why. Explicit choices win (`--ecosystem`, `--source`, `--all`);
 * otherwise the ecosystems recorded from scanned images (src/vulndb/seen-ecosystems.ts), else
 * OSV.dev's full export.
 *
 * OSV.dev layout (https://google.github.io/osv.dev/data/#data-dumps): `<base>/<ECOSYSTEM>/all.zip`
 * per ecosystem, `<base>/all.zip` for everything, and `<base>/ecosystems.txt` listing the ecosystems
 * it publishes, one per line. Distributions are published per distribution (`Debian/all.zip` holds
 * every Debian release), not per release.
 */
import { UserInputError, errorMessage } from '../util/errors.ts';
import { osvExportName, readSeenEcosystems, seenEcosystemsPath } from './seen-ecosystems.ts';

export const DEFAULT_OSV_BASE_URL = 'https://osv-vulnerabilities.storage.googleapis.com';

export function osvBaseUrl(): string {
  return (process.env.PORTWARDEN_OSV_BASE_URL || DEFAULT_OSV_BASE_URL).replace(/\/+$/, '');
}

/** `https://…/PyPI/all.zip` for ecosystem `PyPI` (path segments URL-encoded: `Rocky Linux` → `Rocky%20Linux`). */
export function osvExportUrl(ecosystem: string, base = osvBaseUrl()): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(ecosystem)}/all.zip`;
}

/** OSV.dev's export of every ecosystem in one file (withdrawn records included). */
export function osvFullExportUrl(base = osvBaseUrl()): string {
  return `${base.replace(/\/+$/, '')}/all.zip`;
}

export interface UpdatePlan {
  urls: string[];
  /** OSV export names fetched per ecosystem (empty for the full export or sources only). */
  ecosystems: string[];
  /** Why these: shown by the CLI. */
  reason: string;
}

export interface PlanOptions {
  sources?: string[] | undefined;
  ecosystems?: string[] | undefined;
  all?: boolean | undefined;
  seenEcosystemsFile?: string | undefined;
  dbPath: string;
  baseUrl: string;
  timeoutMs: number;
  log: (line: string) => void;
}

/** The ecosystems OSV.dev publishes (`ecosystems.txt`), or undefined when the list cannot be had. */
async function publishedEcosystems(base: string, timeoutMs: number, log: (line: string) => void): Promise<Set<string> | undefined> {
  const url = `${base.replace(/\/+$/, '')}/ecosystems.txt`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'portwarden-db-update' } });
    if (res.status !== 200) {
      await res.body?.cancel();
      log(`${url}: HTTP ${res.status}; fetching every recorded ecosystem`);
      return undefined;
    }
    return new Set((await res.text()).split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
  } catch (err) {
    log(`${url}: ${errorMessage(err)}; fetching every recorded ecosystem`);
    return undefined;
  }
}

function exportNames(ecosystems: string[], log: (line: string) => void): string[] {
  const names: string[] = [];
  for (const e of ecosystems) {
    const name = osvExportName(e);
    if (!name) throw new UserInputError(`invalid ecosystem ${JSON.stringify(e)}`);
    if (name !== e.trim()) log(`${e}: OSV.dev publishes one export per distribution with every release in it; fetching ${name}`);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export async function planUpdate(o: PlanOptions): Promise<UpdatePlan> {
  const sources = o.sources ?? [];
  const given = o.ecosystems ?? [];
  if (o.all && given.length > 0) throw new UserInputError('--all fetches every ecosystem; leave out --ecosystem, or leave out --all');
  if (given.length > 0) {
    const names = exportNames(given, o.log);
    return { urls: [...sources, ...names.map((n) => osvExportUrl(n, o.baseUrl))], ecosystems: names, reason: `ecosystems given: ${names.join(', ')}` };
  }
  if (o.all) return { urls: [...sources, osvFullExportUrl(o.baseUrl)], ecosystems: [], reason: '--all: OSV.dev\'s full export (every ecosystem)' };
  if (sources.length > 0) return { urls: sources, ecosystems: [], reason: 'sources given' };

  const seen = readSeenEcosystems(o.seenEcosystemsFile ?? seenEcosystemsPath(o.dbPath));
  if (seen.warning) o.log(seen.warning);
  if (seen.ecosystems.length === 0) {
    return { urls: [osvFullExportUrl(o.baseUrl)], ecosystems: [], reason: `no scanned ecosystems recorded yet (${seen.file}): OSV.dev's full export (every ecosystem)` };
  }
  const recorded = seen.ecosystems.map((e) => e.name);
  const published = await publishedEcosystems(o.baseUrl, o.timeoutMs, o.log);
  const names = published ? recorded.filter((n) => published.has(n)) : recorded;
  const unpublished = recorded.filter((n) => !names.includes(n));
  const why = seen.ecosystems.filter((e) => names.includes(e.name)).map((e) => `${e.name} (${e.seen_as.join(', ')}; last seen ${e.last_seen})`);
  const skipped = unpublished.length > 0 ? `; not published by OSV.dev, skipped: ${unpublished.join(', ')}` : '';
  if (names.length === 0) {
    throw new UserInputError(`none of the ecosystems recorded from scanned images (${recorded.join(', ')}, in ${seen.file}) is published by OSV.dev; use --all, --ecosystem NAME or --source URL`);
  }
  return { urls: names.map((n) => osvExportUrl(n, o.baseUrl)), ecosystems: names, reason: `ecosystems recorded from scanned images (${seen.file}): ${why.join(', ')}${skipped}` };
}
