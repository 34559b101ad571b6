/**
 * Alpine secdb (secdb.alpinelinux.org JSON, or the YAML of the old alpine-secdb repository) →
 * OSV records `ALPINE-<CVE>`, one affected entry per origin package and branch (`Alpine:v3.10`).
 */
import { parse as parseYaml } from 'yaml';
import type { OsvAffected, OsvRecord } from '../osv.ts';
import type { FeedResult } from './types.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Alpine's branch for a release string: `3.19.1` → `v3.19`; `edge` stays `edge`. */
export function alpineBranch(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  if (m) return `v${m[1]}.${m[2]}`;
  return version.trim() === 'edge' ? 'edge' : undefined;
}

/**
 * The id in a secfixes entry. Upstream entries carry typos (`CVE_2019-2426`, `CVE 2018-16859`,
 * `CVE-2019-19451.patch`) and placeholders (`CVE-????-????? XSA-295`, where the XSA id is the real one).
 */
export function secfixId(entry: string): string | undefined {
  const text = entry.trim().replace(/^CVE[ _]+(?=\d{4}-)/i, 'CVE-');
  const cve = /^CVE-\d{4}-\d{4,}/i.exec(text);
  if (cve) return cve[0].toUpperCase();
  const other = /(?:^|\s)([A-Za-z][A-Za-z0-9-]*?-\d[\w.-]*?)(?=\s|$|\.patch)/.exec(text);
  return other?.[1];
}

/**
 * Parses one secdb file. Keys are fixed versions; the key `0` lists ids that never affected the
 * branch (no record). YAML is parsed with every scalar kept as a string so `1.10` stays `1.10`.
 */
export function parseAlpineSecdb(text: string, modified: string): FeedResult {
  const result: FeedResult = { records: [], invalid: [] };
  let doc: unknown;
  try {
    const trimmed = text.trimStart();
    doc = trimmed.startsWith('{') ? JSON.parse(text) : parseYaml(text, { schema: 'failsafe', maxAliasCount: 100 });
  } catch (err) {
    result.invalid.push({ reason: `not JSON/YAML: ${err instanceof Error ? err.message : String(err)}` });
    return result;
  }
  if (!isObject(doc) || typeof doc.distroversion !== 'string') {
    result.invalid.push({ reason: 'missing "distroversion"' });
    return result;
  }
  const branch = alpineBranch(doc.distroversion);
  if (!branch) {
    result.invalid.push({ reason: `unrecognised distroversion ${JSON.stringify(doc.distroversion)}` });
    return result;
  }
  const ecosystem = `Alpine:${branch}`;
  const packages = Array.isArray(doc.packages) ? doc.packages : [];
  const byId = new Map<string, OsvRecord>();
  for (const [i, entry] of packages.entries()) {
    const pkg = isObject(entry) && isObject(entry.pkg) ? entry.pkg : undefined;
    if (!pkg || typeof pkg.name !== 'string') {
      result.invalid.push({ reason: `packages[${i}] has no pkg.name` });
      continue;
    }
    const secfixes = isObject(pkg.secfixes) ? pkg.secfixes : {};
    for (const [fixedVersion, ids] of Object.entries(secfixes)) {
      if (!Array.isArray(ids)) continue;
      for (const rawId of ids) {
        if (typeof rawId !== 'string') continue;
        const vulnId = secfixId(rawId);
        if (!vulnId) {
          result.invalid.push({ id: pkg.name, reason: `${pkg.name} ${fixedVersion}: unrecognised id ${JSON.stringify(rawId)}` });
          continue;
        }
        if (fixedVersion === '0') continue;
        const id = `ALPINE-${vulnId}`;
        let record = byId.get(id);
        if (!record) {
          record = { id, modified, affected: [], references: [] };
          if (/^CVE-/.test(vulnId)) {
            record.upstream = [vulnId];
            record.references = [{ type: 'ADVISORY', url: `https://security.alpinelinux.org/vuln/${vulnId}` }];
          } else record.aliases = [vulnId];
          byId.set(id, record);
        }
        const affected: OsvAffected = {
          package: { ecosystem, name: pkg.name },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: fixedVersion }] }],
        };
        record.affected?.push(affected);
      }
    }
  }
  result.records = [...byId.values()];
  return result;
}
