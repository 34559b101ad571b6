/** Matching: inventory × advisory index → findings. See docs/matching.md. */
export { openAdvisoryIndex } from './advisory-index.ts';
export { AdvisoryIndexPool } from './index-pool.ts';
export type { IndexLease } from './index-pool.ts';
export type { AdvisoryIndex, AdvisoryDetail, OpenIndexOptions, PageAccess, AffectedRow, AffectedRowWithDetail, MatchEntry, RowRef } from './advisory-index.ts';
export { matchPackages } from './match.ts';
export { explainMatch } from './explain.ts';
export type { ExplainCandidate, ExplainResult } from './explain.ts';
export { normalizeGoStdlibVersion, packageEcosystem, queriesFor, queryFor } from './queries.ts';
export type { MatchQuery } from './queries.ts';
export type { MatchOptions, SchemeResolution } from './evaluation.ts';
export { describeRange, evaluateAffected, evaluateRange } from './ranges.ts';
