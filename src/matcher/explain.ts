/** `portwarden explain`: why an advisory does or does not apply to a package, with the evidence. */
import type { OSInfo, Package } from '../model/inventory.ts';
import type { FixStatus, MatchEvidence } from '../model/report.ts';
import type { AdvisoryIndex } from './advisory-index.ts';
import { Matcher, evidenceOf, fixStatusOf } from './evaluation.ts';
import type { MatchOptions } from './evaluation.ts';
import { packageEcosystem, queriesFor } from './queries.ts';
import type { MatchQuery } from './queries.ts';

/** One advisory entry considered for `explain`: affected or not, and the evidence either way. */
export interface ExplainCandidate {
  advisory: string;
  aliases: string[];
  withdrawn?: string;
  affected: boolean;
  fixed_version: string | null;
  status: FixStatus | 'not_affected';
  evidence: MatchEvidence;
  problems: string[];
}

export interface ExplainResult {
  package: { name: string; version: string; ecosystem: string; purl: string; source?: { name: string; version: string } };
  /** What was looked up first, or undefined when the package cannot be matched (no ecosystem or version). */
  query?: MatchQuery;
  /** Every lookup made (rpm packages: binary and source name; CentOS: also RHEL data). */
  queries?: MatchQuery[];
  candidates: ExplainCandidate[];
}

/**
 * Why `id` (a CVE, GHSA, OSV id, or any alias) does or does not apply to `pkg`: every advisory
 * entry for the package that names `id`, with the range, the comparisons and the verdict.
 * `explainMatch(libssl3, os, index, 'CVE-2023-0286')` → candidates from DEBIAN-CVE-2023-0286 and DSA-5343-1.
 */
export function explainMatch(pkg: Package, os: OSInfo | undefined, index: AdvisoryIndex, id: string, options: MatchOptions = {}): ExplainResult {
  const queries = queriesFor(pkg, os);
  const result: ExplainResult = {
    package: { name: pkg.name, version: pkg.version, ecosystem: packageEcosystem(pkg, os), purl: pkg.purl },
    candidates: [],
  };
  if (pkg.source) result.package.source = pkg.source;
  const first = queries[0];
  if (!first) return result;
  result.query = first;
  result.queries = queries;
  const wanted = new Set(index.ridsFor(id));
  const matcher = new Matcher(options);
  const seenRows = new Set<number>();
  for (const query of queries) {
    for (const row of index.lookup(query.ecosystem, [query.name]).get(query.name) ?? []) {
      if (!wanted.has(row.rid) || seenRows.has(row.row)) continue;
      seenRows.add(row.row);
      const hit = matcher.hit(matcher.evaluate(query, row));
      const candidate: ExplainCandidate = {
        advisory: hit.detail.id,
        aliases: [...(hit.detail.aliases ?? []), ...(hit.detail.upstream ?? [])],
        affected: hit.verdict.affected,
        fixed_version: hit.verdict.fixed,
        status: hit.verdict.affected ? fixStatusOf(hit) : 'not_affected',
        evidence: evidenceOf(hit),
        problems: hit.verdict.problems,
      };
      if (hit.detail.withdrawn) candidate.withdrawn = hit.detail.withdrawn;
      result.candidates.push(candidate);
    }
  }
  return result;
}
