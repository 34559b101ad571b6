/**
 * One (lookup, affected row) pair judged: the range verdict under the ecosystem's scheme, how sure it
 * is, and the evidence a finding carries. Shared by matching and `explain`.
 */
import type { FixStatus, MatchEvidence } from '../model/report.ts';
import { schemeForEcosystem } from '../versions/index.ts';
import type { VersionScheme } from '../versions/types.ts';
import { OSV_SEMVER, sortTag } from '../vulndb/match-entries.ts';
import { cveIdsOf } from '../vulndb/osv.ts';
import type { AdvisoryDetail, AffectedRowWithDetail } from './advisory-index.ts';
import type { MatchQuery } from './queries.ts';
import { evaluateAffected } from './ranges.ts';
import type { PackedSchemeChoice, RangeVerdict } from './ranges.ts';

export interface SchemeResolution {
  scheme: VersionScheme;
  confidence: 'high' | 'low';
}

export interface MatchOptions {
  /** Scheme per ecosystem; defaults to src/versions' schemeForEcosystem. */
  schemeFor?: (ecosystem: string) => SchemeResolution;
}

export interface Evaluation {
  row: AffectedRowWithDetail;
  verdict: RangeVerdict;
  confidence: 'high' | 'low';
  query: MatchQuery;
}

export interface Hit extends Evaluation {
  detail: AdvisoryDetail;
  /** cveIdsOf(detail), needed by grouping and by the template. */
  cves: string[];
}

export function fixStatusOf(hit: Evaluation): FixStatus {
  if (hit.verdict.fixed) return 'fixed';
  const declared = hit.row.data.ecosystem_specific?.fix_status;
  return declared === 'will_not_fix' ? 'will_not_fix' : 'affected';
}

export function evidenceOf(hit: Evaluation): MatchEvidence {
  const scheme = hit.verdict.schemes.join('+') || 'none';
  return {
    advisory: hit.row.advisoryId,
    ecosystem: hit.row.data.ecosystem,
    package: hit.row.data.name,
    range: hit.verdict.rangeText,
    comparisons: hit.verdict.comparisons,
    scheme: hit.confidence === 'low' ? `generic(${scheme})` : scheme,
    confidence: hit.confidence,
    via: hit.query.via,
  };
}

export class Matcher {
  private readonly schemeFor: (ecosystem: string) => SchemeResolution;
  private readonly schemeCache = new Map<string, SchemeResolution>();
  /** One SchemeChoice per ecosystem instead of one per (package, row) pair. */
  private readonly choiceCache = new Map<string, PackedSchemeChoice>();

  /** @param storedOrderTrusted the index's compact entries were sorted by this build (AdvisoryIndex.storedOrderTrusted). */
  constructor(options: MatchOptions, private readonly storedOrderTrusted = true) {
    this.schemeFor = options.schemeFor ?? schemeForEcosystem;
  }

  scheme(ecosystem: string): SchemeResolution {
    let s = this.schemeCache.get(ecosystem);
    if (!s) {
      s = this.schemeFor(ecosystem);
      this.schemeCache.set(ecosystem, s);
    }
    return s;
  }

  choice(ecosystem: string): PackedSchemeChoice {
    let c = this.choiceCache.get(ecosystem);
    if (!c) {
      const scheme = this.scheme(ecosystem).scheme;
      const trusted = this.storedOrderTrusted;
      c = { ecosystem: scheme, semver: OSV_SEMVER, ecosystemTag: trusted ? sortTag(scheme) : undefined, semverTag: trusted ? sortTag(OSV_SEMVER) : undefined };
      this.choiceCache.set(ecosystem, c);
    }
    return c;
  }

  /** `trace: false` skips building evidence text (most rows do not match; callers re-run with trace for those that do). */
  evaluate(query: MatchQuery, row: AffectedRowWithDetail, trace = true): Evaluation {
    const resolution = this.scheme(query.ecosystem);
    const verdict = evaluateAffected(query.version, row.data, this.choice(query.ecosystem), trace);
    const onlySemver = verdict.schemes.length > 0 && verdict.schemes.every((s) => s === 'semver');
    const confidence = onlySemver ? 'high' : resolution.confidence;
    return { row, verdict, confidence, query };
  }

  hit(evaluation: Evaluation): Hit {
    const detail = evaluation.row.detail;
    return { row: evaluation.row, verdict: evaluation.verdict, confidence: evaluation.confidence, query: evaluation.query, detail, cves: cveIdsOf(detail) };
  }
}
