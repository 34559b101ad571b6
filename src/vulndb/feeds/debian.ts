/**
 * Debian advisory feeds converted to OSV records keyed by SOURCE package and release
 * (`Debian:11`): the security tracker JSON and the tracker's DSA/DLA list files. Pure parsing.
 */
import type { OsvAffected, OsvRecord } from '../osv.ts';
import type { FeedResult } from './types.ts';

/** Release codenames → OSV `Debian:N` (N is the major version images report in /etc/os-release). */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  hamm: '2.0', slink: '2.1', potato: '2.2', woody: '3.0', sarge: '3.1', etch: '4', lenny: '5', squeeze: '6',
  wheezy: '7', jessie: '8', stretch: '9', buster: '10', bullseye: '11', bookworm: '12', trixie: '13', forky: '14', duke: '15',
};

export function debianEcosystemForCodename(codename: string): string | undefined {
  const v = DEBIAN_CODENAMES[codename.toLowerCase()];
  return v ? `Debian:${v}` : undefined;
}

/** The tracker's `**` marks an urgency guessed from NVD rather than set by the security team. */
export function normalizeDebianUrgency(urgency: string | undefined): string | undefined {
  if (!urgency) return undefined;
  const u = urgency.replace(/\*+$/, '').trim().toLowerCase();
  return ['unimportant', 'low', 'medium', 'high'].includes(u) ? u : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `{source_pkg: {CVE: {description, releases: {codename: {status, fixed_version, urgency, nodsa_reason}}}}}`.
 * `fixed_version: "0"` means never affected (dropped); status `open` means no fix yet; an
 * `ignored` no-dsa reason or `end-of-life` urgency means Debian will not fix it in that release.
 */
export function parseDebianTrackerJson(text: string, modified: string): FeedResult {
  const result: FeedResult = { records: [], invalid: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    result.invalid.push({ reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
    return result;
  }
  if (!isObject(doc)) {
    result.invalid.push({ reason: 'top level is not an object of source packages' });
    return result;
  }
  const byCve = new Map<string, OsvRecord>();
  for (const [pkg, cves] of Object.entries(doc)) {
    if (!isObject(cves)) {
      result.invalid.push({ id: pkg, reason: 'package entry is not an object' });
      continue;
    }
    for (const [cve, info] of Object.entries(cves)) {
      if (!isObject(info)) {
        result.invalid.push({ id: cve, reason: `${pkg}: entry is not an object` });
        continue;
      }
      const releases = isObject(info.releases) ? info.releases : {};
      const affected: OsvAffected[] = [];
      for (const [codename, rel] of Object.entries(releases)) {
        const ecosystem = debianEcosystemForCodename(codename);
        if (!ecosystem || !isObject(rel)) continue;
        const status = typeof rel.status === 'string' ? rel.status : '';
        const fixed = typeof rel.fixed_version === 'string' ? rel.fixed_version : undefined;
        const rawUrgency = typeof rel.urgency === 'string' ? rel.urgency : undefined;
        const urgency = normalizeDebianUrgency(rawUrgency);
        const nodsaReason = typeof rel.nodsa_reason === 'string' ? rel.nodsa_reason : '';
        if (status === 'resolved' && fixed === '0') continue;
        if (status === 'resolved' && !fixed) continue;
        if (status !== 'resolved' && status !== 'open' && status !== 'undetermined') continue;
        const willNotFix = status !== 'resolved' && (nodsaReason === 'ignored' || rawUrgency === 'end-of-life');
        const events = status === 'resolved' && fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }];
        const es: Record<string, unknown> = {};
        if (urgency) es.urgency = urgency;
        if (willNotFix) es.fix_status = 'will_not_fix';
        if (nodsaReason) es.nodsa_reason = nodsaReason;
        affected.push({ package: { ecosystem, name: pkg }, ranges: [{ type: 'ECOSYSTEM', events }], ecosystem_specific: es });
      }
      if (!/^CVE-\d{4}-\d{4,}$/.test(cve)) continue; // TEMP-… tracker ids have no stable identity across snapshots
      const id = `DEBIAN-${cve}`;
      let record = byCve.get(id);
      if (!record) {
        record = { id, modified, aliases: [], upstream: [cve], affected: [], references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }] };
        if (typeof info.description === 'string') record.details = info.description;
        byCve.set(id, record);
      }
      record.affected?.push(...affected);
    }
  }
  result.records = [...byCve.values()].filter((r) => (r.affected?.length ?? 0) > 0);
  return result;
}

const DATE_MONTHS: Record<string, string> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
};

function listDate(day: string, month: string, year: string): string | undefined {
  const m = DATE_MONTHS[month];
  return m ? `${year}-${m}-${day.padStart(2, '0')}T00:00:00Z` : undefined;
}

/**
 * The tracker's `data/DSA/list` and `data/DLA/list`:
 * ```
 * [29 Mar 2023] DSA-5380-1 xorg-server - security update
 *         {CVE-2023-1393}
 *         [bullseye] - xorg-server 2:1.20.11-1+deb11u6
 *         [buster] - foo <not-affected> (reason)
 * ```
 * One OSV record per advisory (`DSA-5380-1`) with its CVEs in `upstream`; `<not-affected>` lines
 * are dropped, `<unfixed>` becomes an open range, `<end-of-life>`/`<ignored>` a will-not-fix one.
 * Advisories naming no CVE are dropped (see flush).
 */
export function parseDebianList(text: string, kind: 'DSA' | 'DLA' | string = 'DSA'): FeedResult {
  const result: FeedResult = { records: [], invalid: [] };
  let current: OsvRecord | undefined;
  const seen = new Map<string, OsvRecord>();
  const flush = () => {
    // Entries without a CVE are regression, bugfix or timezone-data updates (DSA-5356-2,
    // DLA-3367-1 "new timezone database"): no vulnerability of their own, so no finding.
    if (current && (current.affected?.length ?? 0) > 0 && (current.upstream?.length ?? 0) > 0) {
      const prior = seen.get(current.id);
      if (prior) prior.affected?.push(...(current.affected ?? []));
      else {
        seen.set(current.id, current);
        result.records.push(current);
      }
    }
    current = undefined;
  };
  const lines = text.split(/\r?\n/);
  for (const [lineNo, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const header = /^\[(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})\] ((?:DSA|DLA)-\d+(?:-\d+)?)\s+(.*)$/.exec(line);
    if (header) {
      flush();
      const [, day, month, year, id, rest] = header as unknown as [string, string, string, string, string, string];
      const published = listDate(day, month, year);
      const dash = rest.indexOf(' - ');
      current = {
        id,
        modified: published ?? '1970-01-01T00:00:00Z',
        upstream: [],
        affected: [],
        references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${id}` }],
      };
      if (published) current.published = published;
      if (dash >= 0) current.summary = rest.slice(dash + 3).trim();
      continue;
    }
    if (/^\[/.test(line)) {
      flush();
      result.invalid.push({ reason: `${kind} list line ${lineNo + 1}: unrecognised header ${JSON.stringify(line.slice(0, 80))}` });
      continue;
    }
    if (!current) continue;
    const trimmed = line.trim();
    const cves = /^\{(.*)\}$/.exec(trimmed);
    if (cves) {
      current.upstream = (cves[1] ?? '').split(/\s+/).filter((c) => /^CVE-\d{4}-\d{4,}$/.test(c));
      continue;
    }
    const fix = /^\[([a-z-]+)\]\s+-\s+(\S+)\s+(.+?)\s*$/.exec(trimmed);
    if (fix) {
      const [, codename, pkg, rest] = fix as unknown as [string, string, string, string];
      const ecosystem = debianEcosystemForCodename(codename);
      if (!ecosystem) continue;
      const marker = /^<([a-z-]+)>/.exec(rest);
      if (marker) {
        const what = marker[1];
        if (what === 'not-affected') continue;
        const es: Record<string, unknown> = { list_status: what };
        if (what === 'end-of-life' || what === 'ignored' || what === 'no-dsa') es.fix_status = what === 'no-dsa' ? 'affected' : 'will_not_fix';
        current.affected?.push({ package: { ecosystem, name: pkg }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }], ecosystem_specific: es });
        continue;
      }
      const version = rest.split(/\s+/)[0] ?? '';
      if (!/^[0-9][A-Za-z0-9.+~:-]*$/.test(version)) {
        result.invalid.push({ id: current.id, reason: `${kind} list line ${lineNo + 1}: bad version ${JSON.stringify(version)}` });
        continue;
      }
      current.affected?.push({ package: { ecosystem, name: pkg }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: version }] }] });
    }
  }
  flush();
  return result;
}
