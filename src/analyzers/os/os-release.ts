/**
 * Distribution detection from release files, and the mapping from a distribution release to the
 * OSV ecosystem string its OS packages are matched under (see docs/inventory.md for the table).
 *
 * Precedence: `etc/os-release` > `usr/lib/os-release` (os-release(5): etc overrides) > the
 * distribution-specific files (`etc/lsb-release`, `etc/alpine-release`, `etc/*-release`,
 * `etc/debian_version`) for images too old to have os-release. Distribution files that carry a
 * more precise release than os-release (Debian point release, Alpine patch release) refine it.
 */
import type { Analyzer, AnalyzerOutput, Fragment } from '../types.ts';
import type { OSFamily, OSInfo } from '../../model/inventory.ts';
import { isRegularFile, parseDpkgStatus } from './dpkg.ts';

/** os-release(5) shell-style assignments; quotes and backslash escapes undone. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1]) continue;
    let v = m[2] ?? '';
    const q = v[0];
    if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
      v = v.slice(1, -1);
      if (q === '"') v = v.replace(/\\(["\\$`])/g, '$1');
    }
    out.set(m[1], v);
  }
  return out;
}

const ID_TO_FAMILY: Record<string, OSFamily> = {
  debian: 'debian', ubuntu: 'ubuntu', alpine: 'alpine', wolfi: 'wolfi', chainguard: 'chainguard',
  rhel: 'redhat', centos: 'centos', rocky: 'rocky', almalinux: 'alma', fedora: 'fedora', amzn: 'amazon', ol: 'oracle',
  opensuse: 'opensuse', 'opensuse-leap': 'opensuse', 'opensuse-tumbleweed': 'opensuse', 'opensuse-microos': 'opensuse',
  sles: 'sles', sled: 'sles', sles_sap: 'sles', 'sle-micro': 'sles', 'sl-micro': 'sles',
  mariner: 'mariner', azurelinux: 'azurelinux', photon: 'photon',
};

/** Debian release numbers by codename, for testing/sid images whose os-release has no VERSION_ID. */
const DEBIAN_CODENAMES: Record<string, string> = {
  buzz: '1.1', rex: '1.2', bo: '1.3', hamm: '2.0', slink: '2.1', potato: '2.2', woody: '3.0', sarge: '3.1',
  etch: '4', lenny: '5', squeeze: '6', wheezy: '7', jessie: '8', stretch: '9', buster: '10',
  bullseye: '11', bookworm: '12', trixie: '13', forky: '14', duke: '15',
};

function major(version: string): string | undefined {
  return /^(\d+)/.exec(version)?.[1];
}

function majorMinor(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

function isUbuntuLts(version: string, versionText: string): boolean {
  if (/\bLTS\b/.test(versionText)) return true;
  // Every April release of an even year is LTS (6.06 was the one exception, long gone).
  const m = /^(\d\d)\.04/.exec(version);
  return m !== null && Number(m[1]) % 2 === 0;
}

/**
 * The OSV ecosystem for an OS release, or undefined when the release is unknown.
 * `extra.versionText` is os-release VERSION (Ubuntu's "22.04.3 LTS"), used for the LTS suffix.
 */
export function osvEcosystem(os: Pick<OSInfo, 'family' | 'version' | 'name' | 'codename'>, extra: { versionText?: string } = {}): string | undefined {
  const v = os.version;
  switch (os.family) {
    case 'debian': {
      const m = major(v) ?? (os.codename ? DEBIAN_CODENAMES[os.codename] : undefined);
      return m ? `Debian:${m}` : undefined;
    }
    case 'ubuntu': {
      const mm = majorMinor(v);
      return mm ? `Ubuntu:${mm}${isUbuntuLts(mm, extra.versionText ?? os.name) ? ':LTS' : ''}` : undefined;
    }
    case 'alpine': {
      const mm = majorMinor(v);
      return mm ? `Alpine:v${mm}` : undefined;
    }
    case 'wolfi': return 'Wolfi';
    case 'chainguard': return 'Chainguard';
    case 'redhat': return major(v) ? `Red Hat:${major(v)}` : undefined;
    case 'centos': return major(v) ? `CentOS:${major(v)}` : undefined;
    case 'rocky': return major(v) ? `Rocky Linux:${major(v)}` : undefined;
    case 'alma': return major(v) ? `AlmaLinux:${major(v)}` : undefined;
    case 'fedora': return major(v) ? `Fedora:${major(v)}` : undefined;
    case 'oracle': return major(v) ? `Oracle Linux:${major(v)}` : undefined;
    case 'amazon': {
      // Amazon Linux 1 releases are dated (2018.03); 2 and 2023 are plain numbers.
      const m = major(v);
      if (!m) return undefined;
      return `Amazon Linux:${Number(m) >= 2000 && Number(m) < 2023 ? '1' : m}`;
    }
    case 'opensuse': {
      if (/tumbleweed/i.test(os.name)) return 'openSUSE:Tumbleweed';
      if (/microos/i.test(os.name)) return 'openSUSE:MicroOS';
      const mm = majorMinor(v);
      return mm ? `openSUSE:Leap ${mm}` : undefined;
    }
    case 'sles': {
      const m = /^(\d+)(?:\.(\d+))?/.exec(v);
      if (!m) return undefined;
      if (/micro/i.test(os.name)) return `SUSE:Linux Enterprise Micro ${majorMinor(v) ?? m[1]}`;
      const sp = m[2] && m[2] !== '0' ? ` SP${m[2]}` : '';
      return `SUSE:Linux Enterprise Server ${m[1]}${sp}`;
    }
    case 'mariner': return major(v) ? `Mariner:${major(v)}` : undefined;
    case 'azurelinux': return major(v) ? `Azure Linux:${major(v)}` : undefined;
    case 'photon': {
      const mm = majorMinor(v) ?? (major(v) ? `${major(v)}.0` : undefined);
      return mm ? `Photon OS:${mm}` : undefined;
    }
    default: return undefined;
  }
}

/** `Red Hat Enterprise Linux Server release 7.9 (Maipo)` style files. */
function parseRedhatStyle(text: string): { family: OSFamily; version: string; name: string; codename?: string } | undefined {
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  const m = /^(.*?)\s+release\s+(\S+)(?:\s+\(([^)]*)\))?/i.exec(line);
  if (!m?.[1] || !m[2]) return undefined;
  const name = m[1];
  let family: OSFamily;
  if (/^red hat/i.test(name)) family = 'redhat';
  else if (/^centos/i.test(name)) family = 'centos';
  else if (/^rocky/i.test(name)) family = 'rocky';
  else if (/^alma/i.test(name)) family = 'alma';
  else if (/^fedora/i.test(name)) family = 'fedora';
  else if (/^amazon/i.test(name)) family = 'amazon';
  else if (/^oracle/i.test(name)) family = 'oracle';
  else return undefined;
  const r: { family: OSFamily; version: string; name: string; codename?: string } = { family, version: m[2], name: line };
  if (m[3]) r.codename = m[3];
  return r;
}

export type OsReleaseFragment =
  | { kind: 'os-release' | 'lsb-release'; fields: Record<string, string> }
  | { kind: 'alpine-release' | 'debian_version' | 'redhat-style'; text: string }
  | { kind: 'distroless-base-files'; version: string };

const RELEASE_FILES: Record<string, OsReleaseFragment['kind']> = {
  'etc/os-release': 'os-release',
  'usr/lib/os-release': 'os-release',
  'etc/lsb-release': 'lsb-release',
  'etc/alpine-release': 'alpine-release',
  'etc/debian_version': 'debian_version',
  'etc/redhat-release': 'redhat-style',
  'etc/centos-release': 'redhat-style',
  'etc/rocky-release': 'redhat-style',
  'etc/almalinux-release': 'redhat-style',
  'etc/fedora-release': 'redhat-style',
  'etc/oracle-release': 'redhat-style',
  'etc/system-release': 'redhat-style',
};

/** Distroless keeps base-files in its own status.d file, which tells the Debian release when os-release is missing. */
function isDistrolessBaseFiles(p: string): boolean {
  return /^var\/lib\/dpkg\/status\.d\/base[^/]*$/.test(p) && !p.endsWith('.md5sums');
}

/** Combines the surviving release files into one OSInfo (pure; exported for tests). */
export function detectOs(files: Map<string, OsReleaseFragment>): { os?: OSInfo; warnings: string[] } {
  const warnings: string[] = [];
  // An etc/os-release that parsed to nothing (a dangling or unresolved symlink) must not hide usr/lib's.
  const usable = (f: OsReleaseFragment | undefined): OsReleaseFragment | undefined =>
    f?.kind === 'os-release' && (f.fields.ID || f.fields.NAME) ? f : undefined;
  const osRel = usable(files.get('etc/os-release')) ?? usable(files.get('usr/lib/os-release'));
  const debianVersion = (files.get('etc/debian_version') as { text?: string } | undefined)?.text?.trim().split(/\s+/)[0];
  const alpineRelease = (files.get('etc/alpine-release') as { text?: string } | undefined)?.text?.trim().split(/\s+/)[0];
  let os: OSInfo | undefined;
  let versionText = '';

  if (osRel?.kind === 'os-release') {
    const f = osRel.fields;
    const id = (f.ID ?? '').toLowerCase();
    const family: OSFamily = ID_TO_FAMILY[id] ?? 'unknown';
    if (family === 'unknown') {
      for (const like of (f.ID_LIKE ?? '').toLowerCase().split(/\s+/)) {
        const fam = ID_TO_FAMILY[like];
        if (fam) { warnings.push(`os-release ID "${id}" is not a known distribution; it declares ID_LIKE=${like}, not used for matching`); break; }
      }
    }
    versionText = f.VERSION ?? '';
    os = { family, version: f.VERSION_ID ?? '', name: f.PRETTY_NAME || f.NAME || id || 'unknown' };
    const codename = f.VERSION_CODENAME || f.UBUNTU_CODENAME || /\(([a-z]+)\)/i.exec(versionText)?.[1]?.toLowerCase();
    if (codename) os.codename = codename;
    if (family === 'debian' && debianVersion) {
      // Point release (12.5) is more precise than VERSION_ID (12); testing/sid has no VERSION_ID at all.
      if (os.version === '' || (major(debianVersion) !== undefined && major(debianVersion) === major(os.version))) os.version = debianVersion;
      if (!os.codename && /^[a-z]+\/sid$/.test(debianVersion)) os.codename = debianVersion.split('/')[0];
    }
    if (family === 'alpine' && alpineRelease && majorMinor(alpineRelease) === majorMinor(os.version)) os.version = alpineRelease;
  } else {
    const lsb = files.get('etc/lsb-release');
    const redhat = [...files.entries()].find(([, v]) => v.kind === 'redhat-style');
    if (lsb?.kind === 'lsb-release' && (lsb.fields.DISTRIB_ID ?? '').toLowerCase() === 'ubuntu') {
      const f = lsb.fields;
      versionText = f.DISTRIB_DESCRIPTION ?? '';
      os = { family: 'ubuntu', version: f.DISTRIB_RELEASE ?? '', name: f.DISTRIB_DESCRIPTION || `Ubuntu ${f.DISTRIB_RELEASE ?? ''}`.trim() };
      if (f.DISTRIB_CODENAME) os.codename = f.DISTRIB_CODENAME;
    } else if (alpineRelease) {
      os = { family: 'alpine', version: alpineRelease, name: `Alpine Linux v${majorMinor(alpineRelease) ?? alpineRelease}` };
    } else if (redhat && redhat[1].kind === 'redhat-style') {
      const r = parseRedhatStyle(redhat[1].text);
      if (r) os = r;
      else warnings.push(`${redhat[0]}: release line not recognised`);
    }
    if (!os && debianVersion) {
      os = { family: 'debian', version: debianVersion, name: `Debian GNU/Linux ${debianVersion}` };
      if (/^[a-z]+\/sid$/.test(debianVersion)) os.codename = debianVersion.split('/')[0];
    }
    if (!os) {
      const base = [...files.values()].find((v) => v.kind === 'distroless-base-files');
      const m = base?.kind === 'distroless-base-files' ? /^(\d+)(?:\.\d+)?/.exec(base.version) : null;
      if (m?.[1]) {
        os = { family: 'debian', version: m[1], name: `Distroless (Debian ${m[1]}, from base-files ${base?.kind === 'distroless-base-files' ? base.version : ''})` };
      }
    }
  }
  if (!os) return { warnings };
  if (os.codename && !os.version && os.family === 'debian') os.version = os.codename;
  const eco = osvEcosystem(os, { versionText });
  if (eco) os.ecosystem = eco;
  else if (os.family !== 'unknown') warnings.push(`${os.name}: release "${os.version}" not mapped to an OSV ecosystem; OS packages keep the bare family`);
  return { os, warnings };
}

export const osReleaseAnalyzer: Analyzer<OsReleaseFragment> = {
  name: 'os-release',
  version: 1,
  kind: 'os-release',
  maxFileSize: 1024 * 1024,
  required: (p, meta) => isRegularFile(meta) && (Object.hasOwn(RELEASE_FILES, p) || isDistrolessBaseFiles(p)),
  analyze({ path: p, content }) {
    const kind = Object.hasOwn(RELEASE_FILES, p) ? RELEASE_FILES[p] : undefined;
    const text = content.toString('utf8');
    if (kind === 'os-release' || kind === 'lsb-release') return { kind, fields: Object.fromEntries(parseOsRelease(text)) };
    if (kind === 'alpine-release' || kind === 'debian_version' || kind === 'redhat-style') return { kind, text: text.slice(0, 4096) };
    if (isDistrolessBaseFiles(p)) {
      const pkg = parseDpkgStatus(content, p, false).packages.find((x) => x.name === 'base-files');
      return pkg ? { kind: 'distroless-base-files', version: pkg.version } : undefined;
    }
    return undefined;
  },
  finalize(fragments: Fragment<OsReleaseFragment>[]): AnalyzerOutput {
    const files = new Map<string, OsReleaseFragment>();
    for (const fr of fragments) files.set(fr.path, fr.value);
    const { os, warnings } = detectOs(files);
    return os ? { os, warnings } : { warnings };
  },
};
