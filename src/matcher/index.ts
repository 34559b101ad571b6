/** Matching: inventory × advisory index → findings. See docs/matching.md. */
export { openAdvisoryIndex } from './advisory-index.ts';
export { AdvisoryIndexPool } from './index-pool.ts';
export type { IndexLease } from './index-pool.ts';
export type { AdvisoryIndex, AdvisoryDetail, AffectedRow, AffectedRowWithDetail, MatchEntry, RowRef } from './advisory-index.ts';
export { explainMatch, matchPackages, normalizeGoStdlibVersion, packageEcosystem, queriesFor, queryFor } from './match.ts';
export type { ExplainCandidate, ExplainResult, MatchOptions, MatchQuery, SchemeResolution } from './match.ts';
export { describeRange, evaluateAffected, evaluateRange } from './ranges.ts';
