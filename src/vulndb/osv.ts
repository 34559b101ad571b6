/**
 * The OSV record shape (https://ossf.github.io/osv-schema/) as far as Portwarden reads it, and a
 * validator that turns untrusted JSON into a typed record or a reason why not. Pure: no I/O.
 */

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | string;
  repo?: string;
  events: OsvEvent[];
  database_specific?: Record<string, unknown>;
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvAffected {
  package?: { ecosystem: string; name: string; purl?: string };
  severity?: OsvSeverity[];
  ranges?: OsvRange[];
  versions?: string[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

export interface OsvRecord {
  schema_version?: string;
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  related?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: { type: string; url: string }[];
  credits?: unknown[];
  database_specific?: Record<string, unknown>;
}

export type ValidationResult = { ok: true; record: OsvRecord } | { ok: false; id?: string; reason: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown, field: string): string[] | string {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return `${field} is not an array`;
  const out: string[] = [];
  for (const item of v) {
    if (typeof item !== 'string') return `${field} holds a non-string`;
    out.push(item);
  }
  return out;
}

const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

/** YAML sources may leave versions as numbers (`fixed: 1.10` → 1.1); only strings are trusted. */
function validateRange(raw: unknown, where: string): OsvRange | string {
  if (!isObject(raw)) return `${where} is not an object`;
  if (typeof raw.type !== 'string') return `${where}.type missing`;
  if (!Array.isArray(raw.events) || raw.events.length === 0) return `${where}.events missing or empty`;
  const events: OsvEvent[] = [];
  for (const [i, ev] of raw.events.entries()) {
    if (!isObject(ev)) return `${where}.events[${i}] is not an object`;
    const keys = Object.keys(ev).filter((k) => (EVENT_KEYS as readonly string[]).includes(k));
    if (keys.length !== 1) return `${where}.events[${i}] must have exactly one of ${EVENT_KEYS.join('/')}`;
    const key = keys[0] as (typeof EVENT_KEYS)[number];
    const value = ev[key];
    if (typeof value !== 'string' || value === '') return `${where}.events[${i}].${key} is not a non-empty string`;
    events.push({ [key]: value });
  }
  const range: OsvRange = { type: raw.type, events };
  if (typeof raw.repo === 'string') range.repo = raw.repo;
  if (isObject(raw.database_specific)) range.database_specific = raw.database_specific;
  return range;
}

function validateSeverity(raw: unknown, where: string): OsvSeverity[] | string {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return `${where} is not an array`;
  const out: OsvSeverity[] = [];
  for (const s of raw) {
    if (isObject(s) && typeof s.type === 'string' && typeof s.score === 'string') out.push({ type: s.type, score: s.score });
  }
  return out;
}

/**
 * Checks the fields matching depends on and returns a normalised copy; unknown fields are dropped
 * except `database_specific`/`ecosystem_specific`, which carry distro severities and Go symbols.
 */
export function validateOsvRecord(raw: unknown): ValidationResult {
  if (!isObject(raw)) return { ok: false, reason: 'record is not a JSON object' };
  const id = raw.id;
  if (typeof id !== 'string' || id === '' || id.length > 256) return { ok: false, reason: 'missing or invalid "id"' };
  const fail = (reason: string): ValidationResult => ({ ok: false, id, reason });
  const modified = raw.modified;
  if (typeof modified !== 'string' || modified === '') return fail('missing "modified"');
  const record: OsvRecord = { id, modified };
  for (const key of ['schema_version', 'published', 'withdrawn', 'summary', 'details'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') return fail(`"${key}" is not a string`);
    record[key] = v;
  }
  for (const key of ['aliases', 'related', 'upstream'] as const) {
    const v = stringArray(raw[key], key);
    if (typeof v === 'string') return fail(v);
    if (v.length) record[key] = v;
  }
  const severity = validateSeverity(raw.severity, 'severity');
  if (typeof severity === 'string') return fail(severity);
  if (severity.length) record.severity = severity;
  if (raw.references !== undefined && raw.references !== null) {
    if (!Array.isArray(raw.references)) return fail('"references" is not an array');
    record.references = raw.references
      .filter((r): r is { type: string; url: string } => isObject(r) && typeof r.url === 'string')
      .map((r) => ({ type: typeof r.type === 'string' ? r.type : 'WEB', url: r.url }));
  }
  if (isObject(raw.database_specific)) record.database_specific = raw.database_specific;
  if (raw.affected !== undefined && raw.affected !== null) {
    if (!Array.isArray(raw.affected)) return fail('"affected" is not an array');
    const affected: OsvAffected[] = [];
    for (const [i, a] of raw.affected.entries()) {
      const where = `affected[${i}]`;
      if (!isObject(a)) return fail(`${where} is not an object`);
      const entry: OsvAffected = {};
      if (a.package !== undefined) {
        const p = a.package;
        if (!isObject(p) || typeof p.ecosystem !== 'string' || typeof p.name !== 'string' || !p.ecosystem || !p.name) {
          return fail(`${where}.package needs string "ecosystem" and "name"`);
        }
        entry.package = { ecosystem: p.ecosystem, name: p.name };
        if (typeof p.purl === 'string') entry.package.purl = p.purl;
      }
      if (a.ranges !== undefined && a.ranges !== null) {
        if (!Array.isArray(a.ranges)) return fail(`${where}.ranges is not an array`);
        const ranges: OsvRange[] = [];
        for (const [j, r] of a.ranges.entries()) {
          const range = validateRange(r, `${where}.ranges[${j}]`);
          if (typeof range === 'string') return fail(range);
          ranges.push(range);
        }
        entry.ranges = ranges;
      }
      const versions = stringArray(a.versions, `${where}.versions`);
      if (typeof versions === 'string') return fail(versions);
      if (versions.length) entry.versions = versions;
      const sev = validateSeverity(a.severity, `${where}.severity`);
      if (typeof sev === 'string') return fail(sev);
      if (sev.length) entry.severity = sev;
      if (isObject(a.ecosystem_specific)) entry.ecosystem_specific = a.ecosystem_specific;
      if (isObject(a.database_specific)) entry.database_specific = a.database_specific;
      affected.push(entry);
    }
    record.affected = affected;
  }
  return { ok: true, record };
}

/** CVE ids a record names: its own id, aliases and `upstream` (Ubuntu/Debian records list CVEs there). */
export function cveIdsOf(record: Pick<OsvRecord, 'id' | 'aliases' | 'upstream'>): string[] {
  // Called for every matched record of a scan: no intermediate arrays or sets.
  const ids: string[] = [];
  addCveId(ids, record.id);
  if (record.aliases) for (let i = 0; i < record.aliases.length; i++) addCveId(ids, record.aliases[i] as string);
  if (record.upstream) for (let i = 0; i < record.upstream.length; i++) addCveId(ids, record.upstream[i] as string);
  if (ids.length > 1) ids.sort();
  return ids;
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
function addCveId(ids: string[], id: string): void {
  if (CVE_ID.test(id) && !ids.includes(id)) ids.push(id);
}
