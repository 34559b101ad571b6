/**
 * Inventory × advisory index → findings, in two passes (docs/matching.md, "Performance"): lookups and
 * a pre-check on compact entries rule out most rows; the candidates left are read in chunks and
 * evaluated in full (evaluation.ts), grouped so one problem is one finding (grouping.ts), turned into
 * templates shared by packages with the same lookup key (templates.ts), and put in report order
 * (order.ts). Lookups themselves are in queries.ts.
 */
import type { OSInfo, Package } from '../model/inventory.ts';
import type { Vulnerability } from '../model/report.ts';
import { parseMatchEntries } from './advisory-index.ts';
import type { AdvisoryIndex, MatchEntry } from './advisory-index.ts';
import { Matcher } from './evaluation.ts';
import type { Hit, MatchOptions } from './evaluation.ts';
import { groupHits } from './grouping.ts';
import type { Group } from './grouping.ts';
import { findingsInOrder } from './order.ts';
import { quickAffectedEntry } from './ranges.ts';
import { queriesFor } from './queries.ts';
import type { MatchQuery } from './queries.ts';
import { buildTemplate, bySeverityThenId } from './templates.ts';
import type { FindingTemplate } from './templates.ts';

/** Batched lookups: one query per ecosystem and batch of names. */
function lookupAll(index: AdvisoryIndex, queries: MatchQuery[][]): Map<string, Map<string, string>> {
  const byEcosystem = new Map<string, Set<string>>();
  for (let i = 0; i < queries.length; i++) {
    const list = queries[i] as MatchQuery[];
    for (let j = 0; j < list.length; j++) {
      const q = list[j] as MatchQuery;
      let set = byEcosystem.get(q.ecosystem);
      if (!set) byEcosystem.set(q.ecosystem, (set = new Set()));
      set.add(q.name);
    }
  }
  const out = new Map<string, Map<string, string>>();
  for (const [eco, names] of byEcosystem) out.set(eco, index.matchEntryText(eco, [...names]));
  return out;
}

/** A row the pre-check let through (RowRef), and the lookup that found it. */
interface Candidate {
  query: MatchQuery;
  row: number;
  rid: number;
}

interface PendingKey {
  key: string;
  /** The first package with this key (named in warnings). */
  pkg: Package;
  ecosystem: string;
  candidates: Candidate[];
}

/** Candidate rows per pass-2 chunk: large enough for few statements, small enough to die young. */
const CHUNK_ROWS = 1_000;
/**
 * Matches an inventory against the index. Returns one finding per (package, problem), sorted by
 * package, then severity, then id; `warnings` lists versions that could not be evaluated and matches
 * decided by the generic (low-confidence) scheme.
 */
export function matchPackages(
  packages: Package[],
  os: OSInfo | undefined,
  index: AdvisoryIndex,
  options: MatchOptions = {},
): { vulnerabilities: Vulnerability[]; warnings: string[] } {
  const matcher = new Matcher(options, index.storedOrderTrusted);
  const warnings = new Set<string>();
  // The same (ecosystem, name, version) recurs across layers and lockfiles: evaluate it once per key.
  const { keys, pending } = preCheck(packages, os, index, matcher);
  const templatesByKey = new Map<string, FindingTemplate[]>();
  // Pass 2, in chunks of keys: full rows and details of the candidates (batched reads), the full
  // evaluation with evidence, one template set per key. Chunks keep what is read short-lived.
  let chunk: PendingKey[] = [];
  let chunkRows = 0;
  const flush = () => {
    const refs: Candidate[] = [];
    for (let k = 0; k < chunk.length; k++) {
      const candidates = (chunk[k] as PendingKey).candidates;
      for (let c = 0; c < candidates.length; c++) refs.push(candidates[c] as Candidate);
    }
    const rows = index.rows(refs);
    for (let k = 0; k < chunk.length; k++) {
      const { key, pkg, ecosystem, candidates } = chunk[k] as PendingKey;
      const hits: Hit[] = [];
      for (let c = 0; c < candidates.length; c++) {
        const { query, row: rowId } = candidates[c] as Candidate;
        const row = rows.get(rowId);
        if (!row) throw new Error(`affected row ${rowId} missing from ${index.path}`);
        const evaluation = matcher.evaluate(query, row, true);
        for (const p of evaluation.verdict.problems) warnings.add(`${pkg.name}@${pkg.version} vs ${row.advisoryId}: ${p}`);
        if (!evaluation.verdict.affected) continue;
        if (evaluation.confidence === 'low') warnings.add(`${pkg.name}@${pkg.version} (${query.ecosystem}) matched ${row.advisoryId} with the generic version scheme (low confidence)`);
        hits.push(matcher.hit(evaluation));
      }
      if (hits.length === 0) continue;
      const scheme = matcher.scheme(ecosystem).scheme;
      const groups = groupHits(hits);
      const templates: FindingTemplate[] = [];
      for (let g = 0; g < groups.length; g++) templates.push(buildTemplate(groups[g] as Group, scheme, ecosystem));
      if (templates.length > 1) templates.sort(bySeverityThenId);
      templatesByKey.set(key, templates);
    }
    chunk = [];
    chunkRows = 0;
  };
  for (const p of pending) {
    chunk.push(p);
    chunkRows += p.candidates.length;
    if (chunkRows >= CHUNK_ROWS) flush();
  }
  if (chunk.length) flush();
  return { vulnerabilities: findingsInOrder(packages, keys, templatesByKey), warnings: [...warnings] };
}

/**
 * What decides a package's findings: its lookups' (ecosystem, name, version, via). Joined, not
 * concatenated: keys live through the whole match, and a flat string is a third of the size of the
 * chain of pieces `+=` leaves behind (10,000 keys: 0.6 against 1.8 MB retained).
 */
function packageKey(list: MatchQuery[]): string {
  const parts: string[] = [];
  for (let q = 0; q < list.length; q++) {
    const { ecosystem, name, version, via } = list[q] as MatchQuery;
    parts.push(ecosystem, name, version, via);
  }
  return parts.join('\0');
}

/**
 * Pass 1, on compact entries: each distinct key's rows that could affect it (most rows fall out
 * here). `keys[i]` is package i's key, undefined when no advisory names it.
 */
function preCheck(packages: Package[], os: OSInfo | undefined, index: AdvisoryIndex, matcher: Matcher): { keys: (string | undefined)[]; pending: PendingKey[] } {
  const queries = packages.map((p) => queriesFor(p, os));
  const found = lookupAll(index, queries);
  const keys: (string | undefined)[] = [];
  const seenKeys = new Set<string>();
  const pending: PendingKey[] = [];
  for (let i = 0; i < packages.length; i++) {
    const list = queries[i] as MatchQuery[];
    let named = false;
    for (let q = 0; q < list.length; q++) named ||= found.get((list[q] as MatchQuery).ecosystem)?.has((list[q] as MatchQuery).name) === true;
    if (!named) {
      keys.push(undefined);
      continue;
    }
    const key = packageKey(list);
    keys.push(key);
    if (seenKeys.has(key)) continue;
    seenKeys.add(key);
    const candidates: Candidate[] = [];
    // Rows met by two lookups of one package (rpm binary and source name) count once; one lookup
    // meets each row once.
    const seenRows = list.length > 1 ? new Set<number>() : undefined;
    for (let q = 0; q < list.length; q++) {
      const query = list[q] as MatchQuery;
      const text = found.get(query.ecosystem)?.get(query.name);
      if (text === undefined) continue;
      const entries = parseMatchEntries(text);
      // One scheme choice per lookup, not per entry (a hot name has hundreds of entries).
      const choice = matcher.choice(query.ecosystem);
      for (let e = 0; e < entries.length; e++) {
        const entry = entries[e] as MatchEntry;
        const row = entry[0] as number;
        if (seenRows) {
          if (seenRows.has(row)) continue;
          seenRows.add(row);
        }
        // The pre-check: false means the full evaluation would find nothing to report.
        if (quickAffectedEntry(query.version, entry, choice) !== false) candidates.push({ query, row, rid: entry[1] as number });
      }
    }
    if (candidates.length) pending.push({ key, pkg: packages[i] as Package, ecosystem: (list[0] as MatchQuery).ecosystem, candidates });
  }
  return { keys, pending };
}
