/**
 * The scan pipeline: target → image source → one layer walk (all analyzers, secrets included) →
 * inventory → matcher → report. The CLI, the service workers and `explain` all go through here,
 * so a finding means the same thing everywhere.
 *
 * Indexing and matching are separate stages (as in Clair): `inventoryTarget` produces a report
 * without findings, `matchReport` adds them from the current advisory snapshot, and
 * `rematchReport` re-runs only the second stage on a stored report when advisories change.
 */
import { ALL_ANALYZERS, analyzerFingerprint } from '../analyzers/index.ts';
import { buildInventory } from '../analyzers/inventory.ts';
import type { Analyzer } from '../analyzers/types.ts';
import type { Dispatcher } from 'undici';
import { openSource, type OpenOptions } from '../image/open.ts';
import { formatPlatform } from '../image/platform.ts';
import { parseTarget } from '../image/target.ts';
import type { ImageSource } from '../image/types.ts';
import { walkImage, type WalkLimits } from '../image/walk.ts';
import { matchPackages, openAdvisoryIndex, type AdvisoryIndex, type AdvisoryIndexPool, type IndexLease } from '../matcher/index.ts';
import type { Package } from '../model/inventory.ts';
import type { Report, ReportArtifact, SecretFinding } from '../model/report.ts';
import { summarize } from '../report/summary.ts';
import { defaultDbPath } from '../vulndb/store.ts';
import { inventoryEcosystems, recordSeenEcosystems } from '../vulndb/seen-ecosystems.ts';
import { VERSION } from '../version.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SECRET_ANALYZER, createSecretAnalyzer, loadSecretConfig, scanImageConfig } from '../secrets/index.ts';
import { readSbom } from '../sbom/read.ts';
import { errorMessage, UserInputError } from '../util/errors.ts';
import { secondsSince } from '../util/time.ts';
import { redactConfigText } from './redact.ts';

export interface ScanOptions {
  /** Advisory index (SQLite) path; default $PORTWARDEN_HOME/db/advisories.db. */
  dbPath?: string;
  /** `os/arch[/variant]`; default linux/amd64. */
  platform?: string;
  registry?: {
    creds?: { username: string; password: string };
    insecureRegistries?: string[];
    authByHost?: Record<string, { username: string; password: string }>;
    /** HTTP dispatcher for every registry connection, redirects included. */
    dispatcher?: Dispatcher;
  };
  /** Default: both. */
  scanners?: Array<'vuln' | 'secret'>;
  /** Secret rules config (YAML, or a gitleaks .toml). */
  secretConfig?: string;
  limits?: Partial<WalkLimits>;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Record the inventory's OSV ecosystems in this file (src/vulndb/seen-ecosystems.ts), which steers `db update`. */
  seenEcosystemsFile?: string;
  /**
   * Shared advisory index handles (long-running processes): reused across scans instead of opening and
   * closing the file for each. Without it every call opens its own handle.
   */
  indexPool?: AdvisoryIndexPool;
  /** Called as each stage of `scanTarget` ends, with its duration (the service's per-stage metrics). */
  onStage?: (stage: ScanStage, seconds: number) => void;
}

/** Stages of a full scan: reading the image into an inventory (pull, layers, analyzers), then matching. */
export type ScanStage = 'inventory' | 'match';

function openOptions(opts: ScanOptions): OpenOptions {
  const o: OpenOptions = {};
  if (opts.platform) o.platform = opts.platform;
  if (opts.registry?.creds) o.creds = opts.registry.creds;
  if (opts.registry?.insecureRegistries) o.insecureRegistries = opts.registry.insecureRegistries;
  if (opts.registry?.authByHost) o.authByHost = opts.registry.authByHost;
  if (opts.registry?.dispatcher) o.dispatcher = opts.registry.dispatcher;
  if (opts.onWarning) o.onWarning = opts.onWarning;
  if (opts.signal) o.signal = opts.signal;
  return o;
}

function wants(opts: ScanOptions, scanner: 'vuln' | 'secret'): boolean {
  return !opts.scanners || opts.scanners.includes(scanner);
}

function describeArtifact(source: ImageSource): ReportArtifact {
  const cfg = source.config.config ?? {};
  const history = (source.config.history ?? []).filter((h) => !h.empty_layer);
  const artifact: ReportArtifact = {
    kind: source.transport,
    reference: source.reference,
    layers: source.layers.map((l, i) => ({
      digest: l.digest,
      size: l.size,
      ...(l.diffId ? { diff_id: l.diffId } : {}),
      ...(history[i]?.created_by ? { created_by: redactConfigText(history[i]?.created_by ?? '') } : {}),
    })),
    config: {
      ...(cfg.User ? { user: cfg.User } : {}),
      ...(cfg.Env ? { env: cfg.Env.map(redactConfigText) } : {}),
      ...(cfg.Entrypoint ? { entrypoint: cfg.Entrypoint } : {}),
      ...(cfg.Cmd ? { cmd: cfg.Cmd } : {}),
      ...(cfg.Labels ? { labels: cfg.Labels } : {}),
    },
  };
  if (source.platform) artifact.platform = formatPlatform(source.platform);
  if (source.manifestMediaType) artifact.media_type = source.manifestMediaType;
  return artifact;
}

/** Packages as reported: owned-file lists stay in the inventory (they only serve de-duplication). */
function reportPackages(packages: Package[]): Package[] {
  return packages.map(({ files: _files, ...rest }) => rest);
}

function emptyReport(target: string, artifact: ReportArtifact): Report {
  return {
    schema_version: 1,
    tool: { name: 'portwarden', version: VERSION },
    created_at: new Date().toISOString(),
    target,
    artifact,
    packages: [],
    vulnerabilities: [],
    secrets: [],
    summary: summarize([]),
    warnings: [],
  };
}

/**
 * Stage one (indexing): reads the image once and returns a report with OS, packages, secrets and
 * warnings but no vulnerability findings. `sbom:FILE` targets are read back into the same shape.
 */
export async function inventoryTarget(target: string, opts: ScanOptions = {}): Promise<Report> {
  const report = await inventoryOf(target, opts);
  if (opts.seenEcosystemsFile) for (const w of recordSeenEcosystems(opts.seenEcosystemsFile, inventoryEcosystems(report)).warnings) opts.onWarning?.(w);
  return report;
}

async function inventoryOf(target: string, opts: ScanOptions): Promise<Report> {
  const parsed = parseTarget(target);
  if (parsed.transport === 'sbom') return inventoryFromSbom(parsed.path, target);

  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const source = await openSource(parsed, { ...openOptions(opts), onWarning: warn });
  try {
    const secretRules = wants(opts, 'secret') ? await loadSecretConfig(opts.secretConfig ? { configPath: opts.secretConfig } : {}) : undefined;
    for (const w of secretRules?.warnings ?? []) warn(w);
    const analyzers: Analyzer[] = [...ALL_ANALYZERS];
    if (secretRules) analyzers.push(createSecretAnalyzer(secretRules) as Analyzer);
    const walked = await walkImage(source, {
      analyzers,
      onWarning: warn,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const outputs = [...walked.outputs.values()];
    const inventory = buildInventory(outputs.filter((o) => !o.secrets));
    const secrets: SecretFinding[] = outputs.flatMap((o) => o.secrets ?? []);
    if (secretRules) secrets.push(...scanImageConfig(source.config, secretRules));

    const report = emptyReport(target, describeArtifact(source));
    report.tool.analyzers = analyzerFingerprint(analyzers);
    if (source.digest) report.digest = source.digest;
    if (inventory.os) report.os = inventory.os;
    report.packages = reportPackages(inventory.packages);
    report.secrets = secrets;
    report.warnings = [...new Set([...warnings, ...inventory.warnings])];
    return report;
  } finally {
    await source.close();
  }
}

/** A stored SBOM (CycloneDX or SPDX JSON) read back into an inventory report, so it can be re-matched without the image. */
async function inventoryFromSbom(file: string, target: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserInputError(`cannot read SBOM ${file}: ${errorMessage(err)}`, 'invalid_target');
  }
  const sbom = readSbom(text, file);
  const report = emptyReport(target, { kind: 'sbom', reference: sbom.target ?? file });
  if (sbom.digest) report.digest = sbom.digest;
  if (sbom.os) report.os = sbom.os;
  report.packages = sbom.packages;
  return report;
}

/** Opens the advisory index, with the error a user can act on when there is none. */
export function openIndex(dbPath?: string): AdvisoryIndex {
  return openAdvisoryIndex(dbPath ?? defaultDbPath());
}

/** A handle for one scan: lent by the pool when there is one, else opened here and closed on release. */
function leaseIndex(opts: Pick<ScanOptions, 'dbPath' | 'indexPool'>): IndexLease {
  if (opts.indexPool) return opts.indexPool.acquire(opts.dbPath ?? defaultDbPath());
  const index = openIndex(opts.dbPath);
  return { index, release: () => index.close() };
}

/** Stage two (matching): findings for the report's packages from the current advisory snapshot. */
export function matchReport(report: Report, index: AdvisoryIndex): Report {
  const { vulnerabilities, warnings } = matchPackages(report.packages, report.os, index);
  return {
    ...report,
    vulnerabilities,
    summary: summarize(vulnerabilities),
    db: { snapshot: index.snapshot, ...(index.builtAt ? { built_at: index.builtAt } : {}) },
    warnings: [...new Set([...report.warnings, ...warnings])],
  };
}

/** Full scan: pull → inventory → secrets → match. */
export async function scanTarget(target: string, opts: ScanOptions = {}): Promise<Report> {
  parseTarget(target); // a malformed target is the first thing to report
  // Open the index before pulling so a missing database fails before minutes of download.
  const lease = wants(opts, 'vuln') ? leaseIndex(opts) : undefined;
  const index = lease?.index;
  try {
    let start = process.hrtime.bigint();
    const report = await inventoryTarget(target, opts);
    opts.onStage?.('inventory', secondsSince(start));
    if (!index) return report;
    start = process.hrtime.bigint();
    const matched = matchReport(report, index);
    opts.onStage?.('match', secondsSince(start));
    return matched;
  } finally {
    lease?.release();
  }
}

/** Manifest digest of a registry target without pulling it (HEAD); undefined for other transports. */
export async function resolveTargetDigest(target: string, opts: ScanOptions = {}): Promise<string | undefined> {
  const parsed = parseTarget(target);
  if (parsed.transport !== 'registry') return undefined;
  if (parsed.reference.digest) return parsed.reference.digest;
  const { resolveDigest } = await import('../image/sources/registry.ts');
  const o = openOptions(opts);
  return resolveDigest(parsed.reference, {
    ...(o.creds ? { credentials: o.creds } : {}),
    ...(o.insecureRegistries ? { insecureRegistries: o.insecureRegistries } : {}),
    ...(o.authByHost ? { authByHost: o.authByHost } : {}),
    ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
}

/** Re-runs matching on a stored report's packages against the current index (no pull). */
export function rematchReport(report: Report, opts: Pick<ScanOptions, 'dbPath' | 'indexPool'> = {}): Report {
  const lease = leaseIndex(opts);
  try {
    return matchReport(report, lease.index);
  } finally {
    lease.release();
  }
}

/**
 * The fingerprint `inventoryTarget` would record with these options; a stored inventory with a
 * different one was built by other analyzer code and must be rebuilt, not re-matched.
 */
export function inventoryFingerprint(opts: ScanOptions = {}): string {
  return analyzerFingerprint(wants(opts, 'secret') ? [...ALL_ANALYZERS, SECRET_ANALYZER] : ALL_ANALYZERS);
}

/** Snapshot id of the current advisory index, or undefined when there is none. */
export function advisorySnapshot(dbPath?: string, indexPool?: AdvisoryIndexPool): string | undefined {
  const p = dbPath ?? defaultDbPath();
  if (!existsSync(p)) return undefined;
  const lease = leaseIndex({ dbPath: p, ...(indexPool ? { indexPool } : {}) });
  try {
    return lease.index.snapshot;
  } finally {
    lease.release();
  }
}
