/**
 * dpkg database: `var/lib/dpkg/status` (one stanza per package), distroless
 * `var/lib/dpkg/status.d/<name>` (one file per package, no Status field, `<name>.md5sums` beside
 * it) and `var/lib/dpkg/info/<name>[:<arch>].list` (the files each package owns).
 */
import path from 'node:path';
import type { Analyzer, Fragment, AnalyzerOutput } from '../types.ts';
import type { Package } from '../../model/inventory.ts';
import type { FileMeta } from '../../image/types.ts';
import { parseStanzas } from './control.ts';

export interface DpkgRecord {
  name: string;
  /** Full version as dpkg prints it: `[epoch:]upstream[-revision]`. */
  version: string;
  arch: string;
  sourceName: string;
  sourceVersion: string;
  /** `Multi-Arch: same` packages keep their file list in `<name>:<arch>.list`. */
  multiArchSame: boolean;
  /** Third word of Status (`installed`), or `''` for distroless status.d stanzas that have none. */
  status: string;
  maintainer: string;
}

const STATUS_FIELDS: ReadonlySet<string> = new Set(['package', 'status', 'version', 'architecture', 'source', 'multi-arch', 'maintainer']);

export interface DpkgStatusParse {
  packages: DpkgRecord[];
  warnings: string[];
}

/**
 * States whose files are unpacked AND configured. `triggers-awaited`/`triggers-pending` are
 * configured packages waiting only for a trigger to run, so their files are live; `unpacked`,
 * `half-installed`, `half-configured` and `config-files` (removed, conffiles left) are not installed.
 */
const INSTALLED_STATES = new Set(['installed', 'triggers-awaited', 'triggers-pending']);

/**
 * dpkg's own version checks (lib/dpkg/parsehelp.c). Returns an error for what dpkg rejects even
 * in lax mode (the status database is read laxly: bad characters are only warnings there).
 */
export function dpkgVersionError(version: string): string | undefined {
  if (version === '') return 'version string is empty';
  if (/\s/.test(version)) return 'version string has embedded spaces';
  let rest = version;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const epoch = rest.slice(0, colon);
    if (epoch === '') return 'epoch in version is empty';
    if (!/^\d+$/.test(epoch)) return 'epoch in version is not number';
    if (Number(epoch) > 2147483647) return 'epoch in version is too big';
    rest = rest.slice(colon + 1);
    if (rest === '') return 'nothing after colon in version number';
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    if (dash === rest.length - 1) return 'revision number is empty';
    if (dash === 0) return 'version number is empty';
  }
  return undefined;
}

/** `Source: glibc (2.36-9)` → name and optional version. */
function parseSourceField(value: string): { name: string; version?: string } {
  const m = /^(\S+)(?:\s+\(([^)]*)\))?/.exec(value.trim());
  if (!m) return { name: '' };
  const version = m[2]?.trim();
  return version ? { name: m[1] ?? '', version } : { name: m[1] ?? '' };
}

/**
 * Parses a status file (or one distroless status.d file). `requireStatus`: the main status file
 * lists removed and half-installed packages too, so only installed states count; status.d files
 * carry no Status field and everything in them is installed.
 */
export function parseDpkgStatus(content: Buffer | string, fileName: string, requireStatus = true): DpkgStatusParse {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const { stanzas, warnings } = parseStanzas(text, fileName, STATUS_FIELDS);
  const packages: DpkgRecord[] = [];
  for (const st of stanzas) {
    const f = st.fields;
    const name = f.get('package');
    if (!name) {
      warnings.push(`${fileName}: stanza at line ${st.line} has no Package field, skipped`);
      continue;
    }
    const statusWords = (f.get('status') ?? '').split(/\s+/).filter(Boolean);
    const state = statusWords[2] ?? '';
    if (requireStatus || statusWords.length > 0) {
      if (statusWords.length !== 3 || !INSTALLED_STATES.has(state)) continue;
    }
    const version = f.get('version') ?? '';
    const versionError = dpkgVersionError(version);
    if (versionError) {
      warnings.push(`${fileName}: package ${name} (line ${st.line}): ${versionError}, skipped`);
      continue;
    }
    const src = parseSourceField(f.get('source') ?? '');
    packages.push({
      name,
      version,
      arch: f.get('architecture') ?? '',
      sourceName: src.name || name,
      sourceVersion: src.version ?? version,
      multiArchSame: (f.get('multi-arch') ?? '').toLowerCase() === 'same',
      status: state,
      maintainer: f.get('maintainer') ?? '',
    });
  }
  return { packages, warnings };
}

/** `info/*.list`: one absolute path per line; `/.` is the root directory itself. */
export function parseDpkgList(content: Buffer | string): string[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const files: string[] = [];
  for (const raw of text.split('\n')) {
    const p = normaliseImagePath(raw.replace(/\r$/, ''));
    if (p) files.push(p);
  }
  return files;
}

/** `*.md5sums`: `<md5>  <path relative to root>` lines. */
export function parseDpkgMd5sums(content: Buffer | string): string[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const files: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^[0-9a-fA-F]{32}\s+(.+?)\r?$/.exec(raw);
    const p = m?.[1] ? normaliseImagePath(m[1]) : '';
    if (p) files.push(p);
  }
  return files;
}

/** Regular files and hard links to them (the walker hands a hard link the target's content). */
export function isRegularFile(meta: FileMeta): boolean {
  return meta.type === 'file' || meta.type === 'hardlink';
}

/** Segments that need path.normalize; most package-database paths have none and skip it (hot loop). */
const NEEDS_NORMALISE = /\/\/|\/\.\.?(\/|$)|^\.\.?(\/|$)|\/$|^\s|\s$/;

export function normaliseImagePath(p: string): string {
  if (p.length > 1 && !NEEDS_NORMALISE.test(p)) return p.charCodeAt(0) === 0x2f ? p.slice(1) : p;
  const trimmed = p.trim();
  if (trimmed === '') return '';
  const n = path.posix.normalize(`/${trimmed}`).slice(1);
  return n === '.' ? '' : n.replace(/\/$/, '');
}

/**
 * Licenses from `usr/share/doc/<pkg>/copyright`: the first word of every DEP-5 `License:` line
 * (`GPL-2+`, `BSD-3-clause`; as Syft reads them), or for free-form files the
 * `/usr/share/common-licenses/<name>` references. Sorted, unique; names are Debian's, not SPDX.
 */
export function parseDebianCopyright(content: Buffer | string): string[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const found = new Set<string>();
  for (const m of text.matchAll(/^License:[ \t]*(\S+)/gm)) {
    const name = (m[1] ?? '').replace(/[,;]$/, '');
    if (name) found.add(name);
  }
  if (found.size === 0) {
    for (const m of text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9][A-Za-z0-9.+-]*[A-Za-z0-9+])/g)) if (m[1]) found.add(m[1]);
  }
  return [...found].sort();
}

export type DpkgFragment =
  | { kind: 'status'; distroless: boolean; packages: DpkgRecord[]; warnings: string[] }
  | { kind: 'files'; owner: string; files: string[] }
  | { kind: 'licenses'; owner: string; licenses: string[] };

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = 'var/lib/dpkg/status.d/';
const INFO = 'var/lib/dpkg/info/';
const DOC = 'usr/share/doc/';

/** `usr/share/doc/<pkg>/copyright` → `<pkg>`. */
function copyrightOwner(p: string): string | undefined {
  if (!p.startsWith(DOC) || !p.endsWith('/copyright')) return undefined;
  const pkg = p.slice(DOC.length, -'/copyright'.length);
  return pkg && !pkg.includes('/') ? pkg : undefined;
}

function baseAfter(p: string, dir: string): string | undefined {
  if (!p.startsWith(dir)) return undefined;
  const rest = p.slice(dir.length);
  return rest === '' || rest.includes('/') ? undefined : rest;
}

export const dpkgAnalyzer: Analyzer<DpkgFragment> = {
  name: 'dpkg',
  version: 3,
  kind: 'os',
  maxFileSize: 64 * 1024 * 1024,
  required(p, meta) {
    if (!isRegularFile(meta)) return false;
    if (p === STATUS) return true;
    const sd = baseAfter(p, STATUS_D);
    if (sd !== undefined) return true;
    const info = baseAfter(p, INFO);
    return (info !== undefined && info.endsWith('.list')) || copyrightOwner(p) !== undefined;
  },
  analyze({ path: p, content }) {
    if (p === STATUS) {
      const r = parseDpkgStatus(content, p, true);
      return { kind: 'status', distroless: false, ...r };
    }
    const sd = baseAfter(p, STATUS_D);
    if (sd !== undefined) {
      if (sd.endsWith('.md5sums')) return { kind: 'files', owner: `status.d/${sd.slice(0, -'.md5sums'.length)}`, files: parseDpkgMd5sums(content) };
      const r = parseDpkgStatus(content, p, false);
      return { kind: 'status', distroless: true, ...r };
    }
    const info = baseAfter(p, INFO);
    if (info?.endsWith('.list')) return { kind: 'files', owner: `info/${info.slice(0, -'.list'.length)}`, files: parseDpkgList(content) };
    const docOwner = copyrightOwner(p);
    if (docOwner !== undefined) {
      const licenses = parseDebianCopyright(content);
      return licenses.length > 0 ? { kind: 'licenses', owner: docOwner, licenses } : undefined;
    }
    return undefined;
  },
  finalize(fragments: Fragment<DpkgFragment>[]): AnalyzerOutput {
    const fileLists = new Map<string, string[]>();
    const licenses = new Map<string, string[]>();
    for (const fr of fragments) {
      if (fr.value.kind === 'files') fileLists.set(fr.value.owner, fr.value.files);
      else if (fr.value.kind === 'licenses') licenses.set(fr.value.owner, fr.value.licenses);
    }
    const packages: Package[] = [];
    const warnings: string[] = [];
    for (const fr of fragments) {
      const v = fr.value;
      if (v.kind !== 'status') continue;
      warnings.push(...v.warnings);
      const stem = path.posix.basename(fr.path);
      for (const r of v.packages) {
        const files = v.distroless
          ? fileLists.get(`status.d/${stem}`) ?? fileLists.get(`status.d/${r.name}`)
          : (r.arch ? fileLists.get(`info/${r.name}:${r.arch}`) : undefined) ?? fileLists.get(`info/${r.name}`);
        const pkg = toPackage(r, { layer: fr.layerDigest, path: fr.path }, files);
        const lic = licenses.get(r.name);
        if (lic) pkg.licenses = lic;
        packages.push(pkg);
      }
    }
    return { packages, warnings };
  },
};

function toPackage(r: DpkgRecord, location: { layer: string; path: string }, files: string[] | undefined): Package {
  const pkg: Package = {
    name: r.name,
    version: r.version,
    ecosystem: '',
    type: 'deb',
    purl: '',
    source: { name: r.sourceName, version: r.sourceVersion },
    locations: [location],
  };
  if (r.arch) pkg.arch = r.arch;
  if (files) pkg.files = files;
  if (r.maintainer) pkg.metadata = { maintainer: r.maintainer };
  return pkg;
}
