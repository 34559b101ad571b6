/**
 * rpm analyzer: reads the rpmdb in TypeScript (no rpm binary at scan time) from any of its
 * standard locations and storage formats.
 */
import type { Analyzer, AnalyzerOutput, Fragment } from '../../types.ts';
import type { Package } from '../../../model/inventory.ts';
import { readRpmDbBlobs, type RpmDbFormat } from './databases.ts';
import { isRegularFile } from '../dpkg.ts';
import { parseSourceRpm, rpmPackageFromHeader, type RpmPackageRecord } from './header.ts';

export { parseRpmHeader, parseSourceRpm, rpmPackageFromHeader, RPM_TAG, type RpmPackageRecord } from './header.ts';
export { readRpmDbBlobs, detectRpmDbFormat, RpmDbError, type RpmDbFormat } from './databases.ts';

const DB_DIRS = ['var/lib/rpm/', 'usr/lib/sysimage/rpm/'];
const DB_FILES = ['rpmdb.sqlite', 'Packages', 'Packages.db'];
export const RPMDB_PATHS: readonly string[] = DB_DIRS.flatMap((d) => DB_FILES.map((f) => d + f));

export interface RpmParse {
  format: RpmDbFormat;
  packages: RpmPackageRecord[];
  warnings: string[];
}

/** Parses a whole rpmdb file. A corrupt database throws; a corrupt single header is a warning. */
export function parseRpmDb(content: Buffer, fileName: string): RpmParse {
  let read: ReturnType<typeof readRpmDbBlobs>;
  try {
    read = readRpmDbBlobs(content);
  } catch (err) {
    throw new Error(`${fileName}: ${(err as Error).message}`, { cause: err });
  }
  const packages: RpmPackageRecord[] = [];
  const warnings: string[] = [];
  for (const [i, blob] of read.blobs.entries()) {
    try {
      const rec = rpmPackageFromHeader(blob);
      // gpg-pubkey entries are imported signing keys, not software: rpm -qa shows them, but they
      // have no files and no advisories (Trivy and Syft skip them too).
      if (rec.name === 'gpg-pubkey') continue;
      packages.push(rec);
    } catch (err) {
      if (warnings.length < 20) warnings.push(`${fileName}: package header #${i + 1} unreadable: ${(err as Error).message}`);
    }
  }
  return { format: read.format, packages, warnings };
}

/** Full rpm EVR as users and advisories write it: `[epoch:]version-release`. */
export function rpmEvr(epoch: number | undefined, version: string, release: string): string {
  return `${epoch !== undefined && epoch !== 0 ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

export function rpmRecordToPackage(r: RpmPackageRecord, location: { layer: string; path: string }): Package {
  const pkg: Package = {
    name: r.name,
    version: rpmEvr(r.epoch, r.version, r.release),
    ecosystem: '',
    type: 'rpm',
    purl: '',
    locations: [location],
    files: r.files,
  };
  if (r.arch) pkg.arch = r.arch;
  if (r.epoch !== undefined) pkg.epoch = r.epoch;
  const src = parseSourceRpm(r.sourceRpm);
  // The source RPM carries no epoch; it is the binary's (rpm builds both from one spec).
  if (src) pkg.source = { name: src.name, version: rpmEvr(r.epoch, src.version, src.release) };
  if (r.license) pkg.licenses = [r.license];
  const metadata: Record<string, unknown> = {};
  if (r.vendor) metadata.vendor = r.vendor;
  if (r.modularityLabel) metadata.modularityLabel = r.modularityLabel;
  if (r.sourceRpm) metadata.sourceRpm = r.sourceRpm;
  if (Object.keys(metadata).length > 0) pkg.metadata = metadata;
  return pkg;
}

export interface RpmFragment {
  packages: RpmPackageRecord[];
  warnings: string[];
}

export const rpmAnalyzer: Analyzer<RpmFragment> = {
  name: 'rpm',
  version: 1,
  kind: 'os',
  // Real rpmdbs of large images reach a few hundred MB only with huge package sets; 512 MiB bounds memory.
  maxFileSize: 512 * 1024 * 1024,
  required: (p, meta) => isRegularFile(meta) && RPMDB_PATHS.includes(p),
  analyze: ({ path, content }) => {
    const r = parseRpmDb(content, path);
    return { packages: r.packages, warnings: r.warnings };
  },
  finalize(fragments: Fragment<RpmFragment>[]): AnalyzerOutput {
    const packages: Package[] = [];
    const warnings: string[] = [];
    // An image upgraded across rpm versions can hold a stale Packages next to the live rpmdb.sqlite;
    // prefer sqlite > ndb > bdb within one directory, since rpm itself reads only the configured backend.
    const chosen = new Map<string, Fragment<RpmFragment>>();
    const rank = (p: string): number => (p.endsWith('rpmdb.sqlite') ? 3 : p.endsWith('Packages.db') ? 2 : 1);
    for (const fr of fragments) {
      const dir = fr.path.slice(0, fr.path.lastIndexOf('/') + 1);
      const cur = chosen.get(dir);
      if (!cur || rank(fr.path) > rank(cur.path)) chosen.set(dir, fr);
    }
    for (const fr of fragments) {
      warnings.push(...fr.value.warnings);
      const dir = fr.path.slice(0, fr.path.lastIndexOf('/') + 1);
      if (chosen.get(dir) !== fr) {
        warnings.push(`${fr.path}: ignored, ${chosen.get(dir)?.path ?? ''} is the newer rpmdb in the same directory`);
        continue;
      }
      for (const r of fr.value.packages) packages.push(rpmRecordToPackage(r, { layer: fr.layerDigest, path: fr.path }));
    }
    return { packages, warnings };
  },
};
