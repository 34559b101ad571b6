/**
 * The compact match entries of the advisory index (schema 2) and the event order they are stored in.
 *
 * Matching meets ~25,000 affected rows per 10,000-package scan and almost none of them affect the
 * package. So the index keeps, next to each row's full JSON, a small encoding with only what the
 * "could this row affect version v?" pre-check needs — range kinds, events already sorted under the
 * range's scheme, the explicit versions list as one string — and gathers the encodings of every row
 * of one (ecosystem, name) into one `match_index` row. A lookup is then one index seek and one
 * JSON.parse per package name; the full row and its advisory are read only for rows that pass.
 *
 * One entry (a JSON array; the index build prepends the row id and the advisory's rid):
 *   [rowId, rid, rangeCount, (rangeType, sortTag, eventCount, (eventKind, version) × eventCount) × rangeCount, versions]
 * - rangeType: 0 ECOSYSTEM, 1 SEMVER (other range types never decide a version and are left out);
 * - sortTag: which scheme ordered the events (`sortTag()`), or '' when they could not be ordered at
 *   import (an event version the scheme rejects); the matcher then evaluates the full row, which
 *   reports the problem;
 * - eventKind: EVENT_KIND values; `introduced: "0"` stays an `introduced` event with version '0';
 * - versions: '' without a list, '\n'-joined with a leading and trailing '\n' (exact-spelling membership
 *   by `includes`), or 0 when a listed version contains '\n' (the matcher then evaluates the full row).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { getScheme, SCHEME_IDS, schemeForEcosystem } from '../versions/index.ts';
import type { VersionScheme } from '../versions/types.ts';
import type { OsvEvent } from './osv.ts';

export const EVENT_KIND = { introduced: 0, fixed: 1, last_affected: 2, limit: 3 } as const;
export type EventKind = keyof typeof EVENT_KIND;

export const RANGE_TYPE = { ECOSYSTEM: 0, SEMVER: 1 } as const;

/** Where an entry's body (what encodeMatchEntry writes) starts: after the row id and the rid. */
export const ENTRY_BODY = 2;

export interface FlatEvent {
  kind: EventKind;
  version: string;
}

/** Events as (kind, version) pairs in their published order. */
export function flattenEvents(events: OsvEvent[]): FlatEvent[] {
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
export function isZeroEvent(e: FlatEvent): boolean {
  return e.kind === 'introduced' && e.version === '0';
}

/**
 * Sorts events in place by version under `scheme`, `introduced: "0"` first (a stable sort, so equal
 * versions keep their published order). The one ordering used both when the index is built and when
 * a range is evaluated from its JSON, so both paths walk the events identically. Throws what
 * `scheme.compare` throws for a version it cannot order.
 */
export function sortEvents(events: FlatEvent[], scheme: VersionScheme): FlatEvent[] {
  if (events.length > 16) return events.sort((a, b) => compareEvents(a, b, scheme));
  // Short lists (nearly all; usually already in order): a stable insertion sort, which allocates
  // nothing — Array.prototype.sort allocates a work array per call, ~800 bytes for two events.
  for (let i = 1; i < events.length; i++) {
    const e = events[i] as FlatEvent;
    let j = i - 1;
    while (j >= 0 && compareEvents(events[j] as FlatEvent, e, scheme) > 0) {
      events[j + 1] = events[j] as FlatEvent;
      j--;
    }
    events[j + 1] = e;
  }
  return events;
}

function compareEvents(a: FlatEvent, b: FlatEvent, scheme: VersionScheme): number {
  if (isZeroEvent(a)) return isZeroEvent(b) ? 0 : -1;
  if (isZeroEvent(b)) return 1;
  return scheme.compare(a.version, b.version);
}

/** SemVer ordering for OSV SEMVER ranges, tolerant of Go's `v` prefix and `v1.2` shorthands. */
function semverRangeScheme(): VersionScheme {
  const strict = getScheme('semver');
  const tolerant = getScheme('go');
  return {
    id: 'semver',
    isValid: (v) => strict.isValid(v) || tolerant.isValid(v),
    compare: (a, b) => (strict.isValid(a) && strict.isValid(b) ? strict.compare(a, b) : tolerant.compare(a, b)),
  };
}

/** The scheme every SEMVER range is evaluated with, whatever the ecosystem. */
export const OSV_SEMVER: VersionScheme = semverRangeScheme();

const REGISTERED = new Set(SCHEME_IDS);

/**
 * Names the scheme that sorted a stored range, so the matcher can tell whether the stored order is
 * the one its own scheme would produce: the registered scheme's id, `osv-semver` for OSV_SEMVER, and
 * undefined for any other scheme object (a caller-supplied scheme: stored orders are then not trusted).
 */
export function sortTag(scheme: VersionScheme): string | undefined {
  if (scheme === OSV_SEMVER) return 'osv-semver';
  return REGISTERED.has(scheme.id) && getScheme(scheme.id) === scheme ? scheme.id : undefined;
}

let fingerprint: string | undefined;

/**
 * Identifies the code that ordered stored events: a hash of src/versions and of this module. The
 * index records it when built; a reader whose code differs (a scheme's order was changed since) does
 * not trust the stored order and evaluates every row from its JSON — slower, never wrong — until the
 * next `db update`/`db import` rebuilds the entries. Sources that cannot be read give a fingerprint
 * that matches nothing, with the same effect.
 */
export function eventOrderFingerprint(): string {
  if (fingerprint === undefined) {
    const hash = createHash('sha256');
    try {
      const versionsDir = new URL('../versions/', import.meta.url);
      for (const file of readdirSync(versionsDir).filter((f) => f.endsWith('.ts')).sort()) {
        hash.update(`${file}\0`).update(readFileSync(new URL(file, versionsDir))).update('\0');
      }
      hash.update(readFileSync(new URL(import.meta.url)));
      fingerprint = hash.digest('hex').slice(0, 16);
    } catch {
      fingerprint = `unreadable-${process.pid}-${Date.now()}`;
    }
  }
  return fingerprint;
}

/** What the encoder reads of an affected entry (a subset of StoredAffected). */
export interface EncodableAffected {
  ranges?: { type: string; events: OsvEvent[] }[];
  versions?: string[];
}

/**
 * The entry body (everything after the row id, as comma-separated JSON values) for one affected row
 * of `ecosystem` (normalised). Ranges are sorted with the scheme matching would use by default
 * (schemeForEcosystem / OSV_SEMVER).
 */
export function encodeMatchEntry(entry: EncodableAffected, ecosystem: string): string {
  const out: (string | number)[] = [];
  const ranges = (entry.ranges ?? []).filter((r) => r.type === 'ECOSYSTEM' || r.type === 'SEMVER');
  out.push(ranges.length);
  let ecosystemScheme: VersionScheme | undefined;
  for (const range of ranges) {
    const semver = range.type === 'SEMVER';
    const scheme = semver ? OSV_SEMVER : (ecosystemScheme ??= schemeForEcosystem(ecosystem).scheme);
    let sorted: FlatEvent[] | undefined;
    try {
      sorted = sortEvents(flattenEvents(range.events), scheme);
    } catch {
      sorted = undefined; // an unorderable event: the full evaluation reports it
    }
    const tag = sorted ? sortTag(scheme) ?? '' : '';
    out.push(semver ? RANGE_TYPE.SEMVER : RANGE_TYPE.ECOSYSTEM, tag);
    if (!sorted || tag === '') {
      out.push(0);
      continue;
    }
    out.push(sorted.length);
    for (const e of sorted) out.push(EVENT_KIND[e.kind], e.version);
  }
  const versions = entry.versions ?? [];
  if (versions.length === 0) out.push('');
  else if (versions.some((v) => v.includes('\n'))) out.push(0);
  else out.push(`\n${versions.join('\n')}\n`);
  return JSON.stringify(out).slice(1, -1);
}
