/**
 * OSV affected-range evaluation (https://ossf.github.io/osv-schema/#evaluation): events sorted by
 * version under the range's scheme, `introduced: "0"` below everything, then walked in order —
 * `introduced` ≤ v turns affected on, `fixed` ≤ v or `last_affected` < v turns it off; `limit`
 * caps the range; an explicit `versions` list matches exactly. SEMVER ranges use SemVer ordering
 * whatever the ecosystem; GIT ranges never reach here (the index drops them).
 */
import type { VersionScheme } from '../versions/types.ts';
import { ENTRY_BODY, EVENT_KIND, RANGE_TYPE, flattenEvents, isZeroEvent as isZero, sortEvents } from '../vulndb/match-entries.ts';
import type { FlatEvent } from '../vulndb/match-entries.ts';
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

function hasLimit(events: FlatEvent[]): boolean {
  for (const e of events) if (e.kind === 'limit') return true;
  return false;
}

/**
 * Events in evaluation order. Not cached: rows are read per scan and evaluated once per package
 * key, and a WeakMap keyed by short-lived rows costs the garbage collector more than the sort.
 */
function sortedEvents(range: RangeInput, scheme: VersionScheme): FlatEvent[] {
  return sortEvents(flattenEvents(range.events), scheme);
}

/** Human text of one range: `>=1.0.0, <1.2.3` pairs joined by ` || `. */
export function describeRange(events: OsvEvent[]): string {
  return describeFlat(flattenEvents(events));
}

/** describeRange on events already flattened, in their published order. */
function describeFlat(events: FlatEvent[]): string {
  let text = '';
  let open: string | undefined;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as FlatEvent;
    if (e.kind === 'introduced') {
      if (open !== undefined) text += text ? ` || ${open}` : open;
      open = `>=${e.version}`;
    } else {
      const op = e.kind === 'fixed' ? '<' : e.kind === 'last_affected' ? '<=' : '< (limit)';
      const part = `${open ?? '>=0'}, ${op}${e.version}`;
      text += text ? ` || ${part}` : part;
      open = undefined;
    }
  }
  if (open !== undefined) text += text ? ` || ${open}` : open;
  return text;
}

function symbol(c: number): string {
  return c < 0 ? '<' : c > 0 ? '>' : '=';
}

/**
 * Evaluates one OSV range for `version`. Throws InvalidVersionError (from the scheme) when the
 * installed version or an event version cannot be ordered.
 */
export function evaluateRange(version: string, range: RangeInput, scheme: VersionScheme, comparisons: string[] | undefined): { affected: boolean; fixed: string | null } {
  return evaluateSorted(version, sortedEvents(range, scheme), scheme, comparisons);
}

/** evaluateRange on events already sorted by `sortEvents` under `scheme`. */
function evaluateSorted(version: string, sorted: FlatEvent[], scheme: VersionScheme, comparisons: string[] | undefined): { affected: boolean; fixed: string | null } {
  // No per-call closures and no text unless tracing: this runs for every (package, advisory row) pair.
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
  const used: string[] = [];
  const ranges = entry.ranges ?? [];
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as RangeInput;
    if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
    const scheme = range.type === 'SEMVER' ? schemes.semver : schemes.ecosystem;
    // Flattened once: described in published order, then sorted in place for the walk.
    const events = flattenEvents(range.events);
    if (trace) texts.push(describeFlat(events));
    try {
      const r = evaluateSorted(version, sortEvents(events, scheme), scheme, comparisons);
      if (!used.includes(scheme.id)) used.push(scheme.id);
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
    const rangesDecided = used.length > 0;
    const exact = entry.versions.includes(version) || (!rangesDecided && entry.versions.some((v) => {
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
      if (!used.includes(schemes.ecosystem.id)) used.push(schemes.ecosystem.id);
      // The list carries no fix; take the lowest fix above the version from any range, if there is one.
      fixes.push(lowestFixAbove(version, entry.ranges ?? [], schemes));
    }
  }
  verdict.rangeText = texts.join(' ; ');
  verdict.schemes = used;
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
    if (entry.versions.includes(version)) return true;
    if (!evaluated) return undefined;
  }
  return false;
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

/** SchemeChoice plus the sort tags (vulndb/match-entries `sortTag`) of its two schemes. */
export interface PackedSchemeChoice extends SchemeChoice {
  /** undefined: stored event orders cannot be trusted for this scheme; every row takes the full path. */
  ecosystemTag: string | undefined;
  semverTag: string | undefined;
}

/**
 * quickAffected on a compact index entry (vulndb/match-entries.ts) instead of the row's JSON: the same
 * verdict from the same comparisons in the same order, without parsing or allocating per row.
 * `undefined` also when the stored entry cannot decide (events stored unsorted or sorted by another
 * scheme, a listed version containing a newline): the caller then evaluates the full row.
 */
export function quickAffectedEntry(version: string, entry: readonly unknown[], schemes: PackedSchemeChoice): boolean | undefined {
  const rangeCount = entry[ENTRY_BODY] as number;
  let at = ENTRY_BODY + 1;
  let evaluated = false;
  for (let r = 0; r < rangeCount; r++) {
    const semver = entry[at] === RANGE_TYPE.SEMVER;
    const tag = entry[at + 1];
    const count = entry[at + 2] as number;
    at += 3;
    if (tag === '' || tag !== (semver ? schemes.semverTag : schemes.ecosystemTag)) return undefined;
    const scheme = semver ? schemes.semver : schemes.ecosystem;
    const end = at + 2 * count;
    let affected = false;
    let limited = false;
    try {
      // The walk of evaluateRange, on events stored in sorted order.
      for (let i = at; i < end; i += 2) {
        const kind = entry[i];
        const v = entry[i + 1] as string;
        if (kind === EVENT_KIND.limit) continue;
        if (kind === EVENT_KIND.introduced && v === '0') {
          affected = true;
          continue;
        }
        const c = scheme.compare(version, v);
        if (kind === EVENT_KIND.introduced) {
          if (c >= 0) affected = true;
        } else if (kind === EVENT_KIND.fixed) {
          if (c >= 0) affected = false;
          else break;
        } else if (c > 0) affected = false;
        else break;
        if (c < 0) break;
      }
      for (let i = at; i < end && !limited; i += 2) limited = entry[i] === EVENT_KIND.limit;
      if (affected && limited) {
        let below = false;
        for (let i = at; i < end && !below; i += 2) below = entry[i] === EVENT_KIND.limit && scheme.compare(version, entry[i + 1] as string) < 0;
        if (!below) affected = false;
      }
    } catch {
      return undefined;
    }
    if (affected) return true;
    evaluated = true;
    at = end;
  }
  const versions = entry[at];
  if (versions === '') return false;
  if (typeof versions !== 'string') return undefined;
  if (versions.includes(`\n${version}\n`)) return true;
  return evaluated ? false : undefined;
}
