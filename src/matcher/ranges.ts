/**
 * OSV affected-range evaluation (https://ossf.github.io/osv-schema/#evaluation): events sorted by
 * version under the range's scheme, `introduced: "0"` below everything, then walked in order —
 * `introduced` ≤ v turns affected on, `fixed` ≤ v or `last_affected` < v turns it off; `limit`
 * caps the range; an explicit `versions` list matches exactly. SEMVER ranges use SemVer ordering
 * whatever the ecosystem; GIT ranges never reach here (the index drops them).
 */
import type { VersionScheme } from '../versions/types.ts';
import type { OsvEvent } from '../vulndb/osv.ts';

export interface RangeInput {
  type: string;
  events: OsvEvent[];
}

export interface AffectedInput {
  ranges?: RangeInput[];
  versions?: string[];
}

export interface RangeVerdict {
  affected: boolean;
  /** Lowest fix above the version in the range that matched; null when none is published. */
  fixed: string | null;
  /** `>=0, <1.2.3-1+deb12u1` style text of every range considered. */
  rangeText: string;
  comparisons: string[];
  /** Scheme ids used (`dpkg`, `semver`, …). */
  schemes: string[];
  /** Problems that prevented evaluating part of the entry (invalid versions). */
  problems: string[];
}

export interface SchemeChoice {
  /** Scheme for ECOSYSTEM ranges and the `versions` list. */
  ecosystem: VersionScheme;
  /** Scheme for SEMVER ranges. */
  semver: VersionScheme;
}

type EventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';
interface FlatEvent {
  kind: EventKind;
  version: string;
}

function flatten(events: OsvEvent[]): FlatEvent[] {
  const out: FlatEvent[] = [];
  for (const e of events) {
    if (e.introduced !== undefined) out.push({ kind: 'introduced', version: e.introduced });
    else if (e.fixed !== undefined) out.push({ kind: 'fixed', version: e.fixed });
    else if (e.last_affected !== undefined) out.push({ kind: 'last_affected', version: e.last_affected });
    else if (e.limit !== undefined) out.push({ kind: 'limit', version: e.limit });
  }
  return out;
}

/** `introduced: "0"` means "from the first version", whatever the scheme thinks of the string `0`. */
function isZero(e: FlatEvent): boolean {
  return e.kind === 'introduced' && e.version === '0';
}

function hasLimit(events: FlatEvent[]): boolean {
  for (const e of events) if (e.kind === 'limit') return true;
  return false;
}

/** Sorted events per range and scheme: the same advisory rows are evaluated for many packages. */
const sortedCache = new WeakMap<RangeInput, Map<string, FlatEvent[]>>();
function sortedEvents(range: RangeInput, scheme: VersionScheme): FlatEvent[] {
  let byScheme = sortedCache.get(range);
  if (!byScheme) sortedCache.set(range, (byScheme = new Map()));
  let sorted = byScheme.get(scheme.id);
  if (!sorted) {
    sorted = flatten(range.events).sort((a, b) => {
      if (isZero(a)) return isZero(b) ? 0 : -1;
      if (isZero(b)) return 1;
      return scheme.compare(a.version, b.version);
    });
    byScheme.set(scheme.id, sorted);
  }
  return sorted;
}

/** Human text of one range: `>=1.0.0, <1.2.3` pairs joined by ` || `. */
export function describeRange(events: OsvEvent[]): string {
  const parts: string[] = [];
  let open: string | undefined;
  for (const e of flatten(events)) {
    if (e.kind === 'introduced') {
      if (open !== undefined) parts.push(open);
      open = `>=${e.version}`;
    } else {
      const op = e.kind === 'fixed' ? '<' : e.kind === 'last_affected' ? '<=' : '< (limit)';
      parts.push(`${open ?? '>=0'}, ${op}${e.version}`);
      open = undefined;
    }
  }
  if (open !== undefined) parts.push(open);
  return parts.join(' || ');
}

function symbol(c: number): string {
  return c < 0 ? '<' : c > 0 ? '>' : '=';
}

/**
 * Evaluates one OSV range for `version`. Throws InvalidVersionError (from the scheme) when the
 * installed version or an event version cannot be ordered.
 */
export function evaluateRange(version: string, range: RangeInput, scheme: VersionScheme, comparisons: string[] | undefined): { affected: boolean; fixed: string | null } {
  // No per-call closures and no text unless tracing: this runs for every (package, advisory row) pair.
  const sorted = sortedEvents(range, scheme);
  let affected = false;
  let fixed: string | null = null;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as FlatEvent;
    if (e.kind === 'limit') continue;
    if (isZero(e)) {
      affected = true;
      if (comparisons) comparisons.push(`${version} >= 0 (introduced, any version)`);
      continue;
    }
    const c = scheme.compare(version, e.version);
    if (e.kind === 'introduced') {
      if (c >= 0) affected = true;
      if (comparisons) comparisons.push(`${version} ${symbol(c)} ${e.version} (introduced, ${scheme.id})`);
    } else if (e.kind === 'fixed') {
      if (comparisons) comparisons.push(`${version} ${symbol(c)} ${e.version} (fixed, ${scheme.id})`);
      if (c >= 0) affected = false;
      else {
        if (affected) fixed = e.version;
        break;
      }
    } else {
      if (comparisons) comparisons.push(`${version} ${symbol(c)} ${e.version} (last_affected, ${scheme.id})`);
      if (c > 0) affected = false;
      else break;
    }
    if (c < 0) break;
  }
  if (affected && hasLimit(sorted)) {
    const limits = sorted.filter((e) => e.kind === 'limit');
    const below = limits.some((l) => scheme.compare(version, l.version) < 0);
    if (comparisons) comparisons.push(`${version} ${below ? 'below' : 'not below'} limit ${limits.map((l) => l.version).join('/')} (${scheme.id})`);
    if (!below) affected = false;
  }
  return { affected, fixed: affected ? fixed : null };
}

/**
 * Evaluates an affected entry (all its ranges, then the explicit versions list). With several
 * matching ranges the fix reported is the highest of their fixes (the version that clears all of
 * them), and null if any matching range has no fix.
 */
export function evaluateAffected(version: string, entry: AffectedInput, schemes: SchemeChoice, trace = true): RangeVerdict {
  const verdict: RangeVerdict = { affected: false, fixed: null, rangeText: '', comparisons: [], schemes: [], problems: [] };
  const comparisons = trace ? verdict.comparisons : undefined;
  const texts: string[] = [];
  const fixes: (string | null)[] = [];
  let fixScheme: VersionScheme = schemes.ecosystem;
  const used = new Set<string>();
  for (const range of entry.ranges ?? []) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const scheme = range.type === 'SEMVER' ? schemes.semver : schemes.ecosystem;
    if (trace) texts.push(describeRange(range.events));
    try {
      const r = evaluateRange(version, range, scheme, comparisons);
      used.add(scheme.id);
      if (r.affected) {
        verdict.affected = true;
        fixes.push(r.fixed);
        fixScheme = scheme;
      }
    } catch (err) {
      verdict.problems.push(`${range.type} range ${describeRange(range.events)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!verdict.affected && entry.versions?.length) {
    // Exact spelling first. Scheme equality (`1.0` == `1.0.0` in PEP 440) only when no range could be
    // evaluated: otherwise the ranges already decided, and the list (derived from them, plus GIT-tag
    // versions spelled as published) only adds exact spellings. Scanning long lists per package is costly.
    const rangesDecided = used.size > 0;
    const exact = versionSet(entry.versions).has(version) || (!rangesDecided && entry.versions.some((v) => {
      try {
        return schemes.ecosystem.isValid(v) && schemes.ecosystem.isValid(version) && schemes.ecosystem.compare(v, version) === 0;
      } catch {
        return false;
      }
    }));
    if (trace) texts.push(`versions list (${entry.versions.length})`);
    if (exact) {
      verdict.affected = true;
      comparisons?.push(`${version} listed in the advisory's affected versions`);
      used.add(schemes.ecosystem.id);
      // The list carries no fix; take the lowest fix above the version from any range, if there is one.
      fixes.push(lowestFixAbove(version, entry.ranges ?? [], schemes));
    }
  }
  verdict.rangeText = texts.join(' ; ');
  verdict.schemes = [...used];
  if (verdict.affected) {
    if (fixes.some((f) => f === null)) verdict.fixed = null;
    else {
      let best: string | null = null;
      for (const f of fixes as string[]) {
        try {
          if (best === null || fixScheme.compare(f, best) > 0) best = f;
        } catch {
          best ??= f;
        }
      }
      verdict.fixed = best;
    }
  }
  return verdict;
}

/**
 * Allocation-free pre-check used for every (package, advisory row) pair: true when the full
 * evaluation would report the entry as affected, `undefined` when a version cannot be ordered (the
 * caller then runs evaluateAffected to report the problem). Most rows a package meets do not affect it.
 */
export function quickAffected(version: string, entry: AffectedInput, schemes: SchemeChoice): boolean | undefined {
  let evaluated = false;
  for (const range of entry.ranges ?? []) {
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const scheme = range.type === 'SEMVER' ? schemes.semver : schemes.ecosystem;
    try {
      if (evaluateRange(version, range, scheme, undefined).affected) return true;
      evaluated = true;
    } catch {
      return undefined;
    }
  }
  if (entry.versions?.length) {
    if (versionSet(entry.versions).has(version)) return true;
    if (!evaluated) return undefined;
  }
  return false;
}

const versionSets = new WeakMap<string[], Set<string>>();
function versionSet(list: string[]): Set<string> {
  let set = versionSets.get(list);
  if (!set) versionSets.set(list, (set = new Set(list)));
  return set;
}

function lowestFixAbove(version: string, ranges: RangeInput[], schemes: SchemeChoice): string | null {
  let best: string | null = null;
  for (const range of ranges) {
    const scheme = range.type === 'SEMVER' ? schemes.semver : schemes.ecosystem;
    for (const e of range.events) {
      if (e.fixed === undefined) continue;
      try {
        if (scheme.compare(e.fixed, version) > 0 && (best === null || scheme.compare(e.fixed, best) < 0)) best = e.fixed;
      } catch {
        // an unorderable fix cannot be offered as the upgrade target
      }
    }
  }
  return best;
}
