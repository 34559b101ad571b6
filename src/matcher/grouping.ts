/**
 * Advisories about the same problem (CVE ↔ GHSA ↔ PYSEC ↔ DSA …) collapse into one finding per
 * package: the grouping of one package's hits.
 */
import type { AdvisoryDetail } from './advisory-index.ts';
import type { Hit } from './evaluation.ts';

export interface Group {
  key: string;
  primary: string;
  hits: Hit[];
}

/**
 * Groups one package's hits so each problem is one finding. A record naming exactly one CVE goes
 * to that CVE; one naming several (a DSA fixing 24 CVEs) is split, one finding per CVE; records without
 * a CVE join a group through a shared id/alias, else form their own under their id.
 */
export function groupHits(hits: Hit[]): Group[] {
  // The common case (one matching record naming one CVE) without the maps below.
  const only = hits.length === 1 ? (hits[0] as Hit) : undefined;
  if (only && only.cves.length === 1) return [{ key: only.cves[0] as string, primary: only.cves[0] as string, hits: [only] }];
  const groups = new Map<string, Group>();
  const pending: Hit[] = [];
  for (let h = 0; h < hits.length; h++) {
    const hit = hits[h] as Hit;
    if (hit.cves.length === 0) pending.push(hit);
    else for (let c = 0; c < hit.cves.length; c++) addToGroup(groups, hit.cves[c] as string, hit.cves[c] as string, hit);
  }
  // Usually every hit names a CVE and this is all (no per-call closures: this runs once per package key).
  if (pending.length) groupWithoutCve(groups, hits, pending);
  return [...groups.values()];
}

function addToGroup(groups: Map<string, Group>, key: string, primary: string, hit: Hit): void {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { key, primary, hits: [] }));
  if (!g.hits.includes(hit)) g.hits.push(hit);
}

/** Records without a CVE: union by shared ids, attached to a CVE group when an alias links there. */
function groupWithoutCve(groups: Map<string, Group>, hits: Hit[], pending: Hit[]): void {
  const aliasToKey = new Map<string, string>();
  for (const hit of hits) {
    if (hit.cves.length === 1) for (const id of linkedIds(hit.detail)) aliasToKey.set(id, hit.cves[0] as string);
  }
  const parent = new Map<string, string>();
  for (const hit of pending) {
    parent.set(hit.detail.id, parent.get(hit.detail.id) ?? hit.detail.id);
    for (const alias of linkedIds(hit.detail).slice(1)) {
      parent.set(alias, parent.get(alias) ?? alias);
      unionIds(parent, hit.detail.id, alias);
    }
  }
  const clusterKey = new Map<string, string>();
  for (const hit of pending) {
    for (const id of linkedIds(hit.detail)) {
      const cve = aliasToKey.get(id);
      if (cve) clusterKey.set(findRoot(parent, hit.detail.id), cve);
    }
  }
  for (const hit of pending) {
    const root = findRoot(parent, hit.detail.id);
    const cve = clusterKey.get(root);
    if (cve) addToGroup(groups, cve, cve, hit);
    else addToGroup(groups, `id:${root}`, preferredId(pending.filter((h) => findRoot(parent, h.detail.id) === root).map((h) => h.detail.id)), hit);
  }
}

function findRoot(parent: Map<string, string>, x: string): string {
  let root = x;
  while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root) as string;
  parent.set(x, root);
  return root;
}

function unionIds(parent: Map<string, string>, a: string, b: string): void {
  const ra = findRoot(parent, a);
  const rb = findRoot(parent, b);
  if (ra !== rb) parent.set(rb < ra ? ra : rb, rb < ra ? rb : ra);
}

/** A record's own id, aliases and upstream ids (USN-… names UBUNTU-CVE-… as upstream). */
function linkedIds(detail: AdvisoryDetail): string[] {
  return [detail.id, ...(detail.aliases ?? []), ...(detail.upstream ?? [])];
}

/** Without a CVE: GHSA first (the cross-ecosystem id users search for), then the alphabetically first. */
function preferredId(ids: string[]): string {
  const sorted = [...new Set(ids)].sort();
  return sorted.find((i) => i.startsWith('GHSA-')) ?? (sorted[0] as string);
}
