/**
 * Inventory × advisory index → findings. OS packages are looked up by their SOURCE package in their
 * own release's ecosystem only (`Debian:11` data never judges a Debian 12 image); language packages
 * by (ecosystem, normalised name). Advisories about the same problem (CVE ↔ GHSA ↔ PYSEC ↔ DSA …)
 * collapse into one finding per package.
 */
import type { OSInfo, Package } from '../model/inventory.ts';
import type { FixStatus, MatchEvidence, Severity, Vulnerability } from '../model/report.ts';
import { SEVERITIES } from '../model/report.ts';
import { schemeForEcosystem } from '../versions/index.ts';
import type { VersionScheme } from '../versions/types.ts';
import { ecosystemBase, isOsEcosystem, normalizeEcosystem } from '../vulndb/names.ts';
import { OSV_SEMVER, sortTag } from '../vulndb/match-entries.ts';
import { cveIdsOf } from '../vulndb/osv.ts';
import { selectSeverity } from '../vulndb/severity.ts';
import type { SeverityInput } from '../vulndb/severity.ts';
import { parseMatchEntries } from './advisory-index.ts';
import type { AdvisoryDetail, AdvisoryIndex, AffectedRowWithDetail, MatchEntry } from './advisory-index.ts';
import { evaluateAffected, quickAffectedEntry } from './ranges.ts';
import type { PackedSchemeChoice, RangeVerdict } from './ranges.ts';

export interface SchemeResolution {
  scheme: VersionScheme;
  confidence: 'high' | 'low';
}

export interface MatchOptions {
  /** Scheme per ecosystem; defaults to src/versions' schemeForEcosystem. */
  schemeFor?: (ecosystem: string) => SchemeResolution;
}

/** How a package is looked up: which ecosystem, name and version decide. */
export interface MatchQuery {
  ecosystem: string;
  name: string;
  version: string;
  via: 'binary' | 'source';
}

/** Go toolchain versions appear as `go1.21.3`, `v1.21.3` or `1.21.3`; OSV's stdlib records use the bare form. */
export function normalizeGoStdlibVersion(version: string): string {
  return version.replace(/^go(?=\d)/, '').replace(/^v(?=\d)/, '');
}

/** The ecosystem a package is matched in: its own, else (OS packages) the detected OS's. */
export function packageEcosystem(pkg: Package, os: OSInfo | undefined): string {
  const raw = pkg.ecosystem || ((pkg.type === 'deb' || pkg.type === 'apk' || pkg.type === 'rpm') && os?.ecosystem) || '';
  if (!raw) return '';
  // An inventory spells a handful of ecosystems thousands of times; normalising is four regexes.
  let normalized = normalizedEcosystems.get(raw);
  if (normalized === undefined) {
    if (normalizedEcosystems.size >= 1_000) normalizedEcosystems.clear();
    normalizedEcosystems.set(raw, (normalized = normalizeEcosystem(raw)));
  }
  return normalized;
}
const normalizedEcosystems = new Map<string, string>();

const RPM_FAMILIES = new Set(['Red Hat', 'Rocky Linux', 'AlmaLinux', 'CentOS', 'Oracle Linux', 'Fedora', 'Amazon Linux', 'openSUSE', 'SUSE', 'Mariner', 'Azure Linux', 'Photon OS', 'Mageia', 'openEuler']);

/**
 * How a package is looked up, in order of preference. Debian/Ubuntu/Alpine feeds are keyed by
 * SOURCE package (openssl, not libssl3) and judge the source version. rpm-distro OSV data names
 * binary RPMs (AlmaLinux `openssl-libs`), so rpm packages are looked up by binary name and by source
 * RPM name. CentOS has no feed of its own: its packages are also judged by RHEL data (`Red Hat:N`),
 * as Trivy does.
 */
export function queriesFor(pkg: Package, os: OSInfo | undefined): MatchQuery[] {
  const ecosystem = packageEcosystem(pkg, os);
  if (!ecosystem || !pkg.version) return [];
  if (isOsEcosystem(ecosystem)) {
    const family = ecosystemBase(ecosystem);
    const source: MatchQuery | undefined = pkg.source?.name ? { ecosystem, name: pkg.source.name, version: pkg.source.version || pkg.version, via: 'source' } : undefined;
    const binary: MatchQuery = { ecosystem, name: pkg.name, version: pkg.version, via: 'binary' };
    let queries: MatchQuery[];
    if (RPM_FAMILIES.has(family) || pkg.type === 'rpm') queries = source && source.name !== binary.name ? [binary, source] : [binary];
    else queries = [source ?? binary];
    if (family === 'CentOS') {
      const rhel = `Red Hat:${ecosystem.slice('CentOS:'.length).split('.')[0]}`;
      queries = [...queries, ...queries.map((q) => ({ ...q, ecosystem: rhel }))];
    }
    return queries;
  }
  if (pkg.type === 'go-stdlib' || (ecosystem === 'Go' && (pkg.name === 'stdlib' || pkg.name === 'toolchain'))) {
    return [{ ecosystem, name: pkg.name === 'toolchain' ? 'toolchain' : 'stdlib', version: normalizeGoStdlibVersion(pkg.version), via: 'binary' }];
  }
  return [{ ecosystem, name: pkg.name, version: pkg.version, via: 'binary' }];
}

/** The first (preferred) lookup for a package; see queriesFor. */
export function queryFor(pkg: Package, os: OSInfo | undefined): MatchQuery | undefined {
  return queriesFor(pkg, os)[0];
}

interface Evaluation {
  row: AffectedRowWithDetail;
  verdict: RangeVerdict;
  confidence: 'high' | 'low';
  query: MatchQuery;
}

interface Hit extends Evaluation {
  detail: AdvisoryDetail;
  /** cveIdsOf(detail), needed by grouping and by the template. */
  cves: string[];
}

function fixStatusOf(hit: Evaluation): FixStatus {
  if (hit.verdict.fixed) return 'fixed';
  const declared = hit.row.data.ecosystem_specific?.fix_status;
  return declared === 'will_not_fix' ? 'will_not_fix' : 'affected';
}

function evidenceOf(hit: Evaluation): MatchEvidence {
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

class Matcher {
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

interface Group {
  key: string;
  primary: string;
  hits: Hit[];
}

/**
 * Groups one package's hits so each problem is one finding. A record naming exactly one CVE goes
 * to that CVE; one naming several (a DSA fixing 24 CVEs) is split, one finding per CVE; records without
 * a CVE join a group through a shared id/alias, else form their own under their id.
 */
function groupHits(hits: Hit[]): Group[] {
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

function firstLine(text: string, max = 160): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Package-independent part of a finding, computed once per (query, group) and shared by packages with the same query. */
type FindingTemplate = Omit<Vulnerability, 'package_name' | 'installed_version' | 'purl' | 'layer' | 'path'>;

function instantiate(t: FindingTemplate, pkg: Package): Vulnerability {
  // Arrays (aliases, references, cvss, evidence) are shared between findings of identical packages; treat them as read-only.
  // A literal of the always-present fields allocates the object at (nearly) its final size, where
  // copying the template into `{}` grew the property store several times per finding. Key order: the
  // template's, then the package's.
  const vuln: Vulnerability = {
    id: t.id, aliases: t.aliases, cve_id: t.cve_id, severity: t.severity, severity_source: t.severity_source as string,
    fixed_version: t.fixed_version, ecosystem: t.ecosystem, status: t.status, title: t.title, description: t.description,
    references: t.references, evidence: t.evidence as MatchEvidence[],
  } as Vulnerability;
  if (t.cvss) vuln.cvss = t.cvss;
  if (t.vendor_severity) vuln.vendor_severity = t.vendor_severity;
  if (t.published) vuln.published = t.published;
  if (t.modified) vuln.modified = t.modified;
  vuln.package_name = pkg.name;
  vuln.installed_version = pkg.version;
  vuln.purl = pkg.purl;
  const loc = pkg.locations[0];
  if (loc) {
    if (loc.layer) vuln.layer = loc.layer;
    vuln.path = loc.path;
  }
  return vuln;
}

function buildTemplate(group: Group, scheme: VersionScheme, ecosystem: string): FindingTemplate {
  // Index loops and no throw-away arrays: this runs once per finding template (thousands per scan),
  // mostly before the JIT has optimised it, where every for-of step allocates.
  const { hits, primary } = group;
  const aliasSet = new Set<string>();
  const references = new Set<string>();
  let title = '';
  let description = '';
  let published: string | undefined;
  let modified: string | undefined;
  let fixed: string | null = null;
  let willNotFix = false;
  const severityInputs: SeverityInput[] = [];
  const evidence: MatchEvidence[] = [];
  for (let h = 0; h < hits.length; h++) {
    const hit = hits[h] as Hit;
    const d = hit.detail;
    const cves = hit.cves;
    addAlias(aliasSet, d.id, primary, cves);
    if (d.aliases) for (let i = 0; i < d.aliases.length; i++) addAlias(aliasSet, d.aliases[i] as string, primary, cves);
    if (d.upstream) for (let i = 0; i < d.upstream.length; i++) addAlias(aliasSet, d.upstream[i] as string, primary, cves);
    if (d.references) for (let i = 0; i < d.references.length; i++) references.add((d.references[i] as { url: string }).url);
    if (!title && d.summary) title = d.summary;
    if (!description && d.details) description = d.details;
    if (d.published && !d.published.startsWith('0001-') && (!published || d.published < published)) published = d.published;
    if (d.modified && !d.modified.startsWith('0001-') && (!modified || d.modified > modified)) modified = d.modified;
    // The highest fix of the group: the version that clears every advisory in it.
    const f = hit.verdict.fixed;
    if (f !== null) {
      try {
        if (fixed === null || scheme.compare(f, fixed) > 0) fixed = f;
      } catch {
        fixed ??= f;
      }
    }
    if (fixStatusOf(hit) === 'will_not_fix') willNotFix = true;
    severityInputs.push({ record: d, affectedSeverity: hit.row.data.severity, ecosystemSpecific: hit.row.data.ecosystem_specific, databaseSpecific: hit.row.data.database_specific });
    evidence.push(evidenceOf(hit));
  }
  if (!title) title = firstLine(description) || primary;
  const status: FixStatus = fixed ? 'fixed' : willNotFix ? 'will_not_fix' : 'affected';
  const distro = isOsEcosystem(ecosystem) ? ecosystemBase(ecosystem).toLowerCase() : undefined;
  const sev = selectSeverity(severityInputs, distro);
  const aliases = [...aliasSet];
  let cve = primary;
  if (!primary.startsWith('CVE-')) {
    for (let i = 0; i < aliases.length; i++) {
      if ((aliases[i] as string).startsWith('CVE-')) {
        cve = aliases[i] as string;
        break;
      }
    }
  }
  if (aliases.length > 1) aliases.sort();
  const vuln: FindingTemplate = {
    id: primary,
    aliases,
    cve_id: cve,
    severity: sev.severity,
    severity_source: sev.source,
    fixed_version: fixed,
    ecosystem,
    status,
    title,
    description,
    references: [...references],
    evidence,
  };
  if (sev.cvss.length) vuln.cvss = sev.cvss;
  if (Object.keys(sev.vendor).length) vuln.vendor_severity = sev.vendor;
  if (published) vuln.published = published;
  if (modified) vuln.modified = modified;
  return vuln;
}

/** A record covering several CVEs is split; its other CVEs are other findings, not aliases. */
function addAlias(aliases: Set<string>, id: string, primary: string, cves: string[]): void {
  if (id === primary || (cves.length > 1 && cves.includes(id))) return;
  aliases.add(id);
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

const SEVERITY_ORDER = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));

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
    let key = '';
    for (let q = 0; q < list.length; q++) {
      const { ecosystem, name, version, via } = list[q] as MatchQuery;
      key += `${key ? '\n' : ''}${ecosystem}\0${name}\0${version}\0${via}`;
    }
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

// Code-unit order, not localeCompare: stable across locales and ~50x cheaper on large result sets.
function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function bySeverityThenId(a: FindingTemplate, b: FindingTemplate): number {
  return (SEVERITY_ORDER.get(a.severity) ?? 9) - (SEVERITY_ORDER.get(b.severity) ?? 9) || compareText(a.id, b.id);
}

function byNameThenVersion(a: Package, b: Package): number {
  return compareText(a.name, b.name) || compareText(a.version, b.version);
}

/**
 * Findings sorted by package name, version, severity, id — stably, i.e. exactly what sorting every
 * finding would give — without sorting every finding: packages are sorted, and each key's templates
 * were sorted once. Packages with the same name and version and the same key (one library found in
 * 100 layers) interleave template by template; different keys under one name and version are merged
 * by a stable sort of just their findings.
 */
function findingsInOrder(packages: Package[], keys: (string | undefined)[], templatesByKey: Map<string, FindingTemplate[]>): Vulnerability[] {
  const withFindings: { pkg: Package; templates: FindingTemplate[] }[] = [];
  for (let i = 0; i < packages.length; i++) {
    const key = keys[i];
    const templates = key === undefined ? undefined : templatesByKey.get(key);
    if (templates) withFindings.push({ pkg: packages[i] as Package, templates });
  }
  withFindings.sort((a, b) => byNameThenVersion(a.pkg, b.pkg));
  const out: Vulnerability[] = [];
  for (let start = 0; start < withFindings.length; ) {
    const first = withFindings[start] as (typeof withFindings)[number];
    let end = start + 1;
    let sameTemplates = true;
    while (end < withFindings.length && byNameThenVersion(first.pkg, (withFindings[end] as (typeof withFindings)[number]).pkg) === 0) {
      sameTemplates &&= (withFindings[end] as (typeof withFindings)[number]).templates === first.templates;
      end++;
    }
    if (sameTemplates) {
      // Runs of templates that tie on (severity, id) keep package-then-template order, as a stable sort would.
      const templates = first.templates;
      for (let t = 0; t < templates.length; ) {
        let runEnd = t + 1;
        while (runEnd < templates.length && bySeverityThenId(templates[t] as FindingTemplate, templates[runEnd] as FindingTemplate) === 0) runEnd++;
        for (let j = start; j < end; j++) {
          const pkg = (withFindings[j] as (typeof withFindings)[number]).pkg;
          for (let r = t; r < runEnd; r++) out.push(instantiate(templates[r] as FindingTemplate, pkg));
        }
        t = runEnd;
      }
    } else {
      const group: Vulnerability[] = [];
      for (let j = start; j < end; j++) {
        const { pkg, templates } = withFindings[j] as (typeof withFindings)[number];
        for (const template of templates) group.push(instantiate(template, pkg));
      }
      group.sort(bySeverityThenId);
      for (const v of group) out.push(v);
    }
    start = end;
  }
  return out;
}

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
