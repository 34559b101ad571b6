/**
 * Alpine/Wolfi/Chainguard apk database `lib/apk/db/installed`: `K:value` lines, one stanza per
 * installed package, stanzas separated by blank lines. Only the keys we need are read:
 * P name, V version, A arch, o origin (source package, the key secdb advisories use), L license,
 * c commit, F directory + R file (a file belongs to the last F before it).
 */
import type { Analyzer, AnalyzerOutput, Fragment } from '../types.ts';
import type { Package } from '../../model/inventory.ts';
import { isRegularFile, normaliseImagePath } from './dpkg.ts';

export interface ApkRecord {
  name: string;
  version: string;
  arch: string;
  origin: string;
  license: string;
  commit: string;
  maintainer: string;
  files: string[];
}

export interface ApkParse {
  packages: ApkRecord[];
  warnings: string[];
}

const MAX_WARNINGS = 20;

export function parseApkInstalled(content: Buffer | string, fileName: string): ApkParse {
  let text = typeof content === 'string' ? content : content.toString('utf8');
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(`${fileName}: ${m}`);
  };
  if (text.includes('\r')) {
    warn('CRLF line endings (tolerated)');
    text = text.replace(/\r\n?/g, '\n');
  }
  const packages: ApkRecord[] = [];
  let cur: ApkRecord | undefined;
  let curLine = 0;
  let dir = '';
  const flush = (): void => {
    if (!cur) return;
    if (!cur.name || !cur.version) {
      warn(`stanza at line ${curLine} lacks ${cur.name ? `a version (package ${cur.name})` : 'a package name'}, skipped`);
    } else {
      packages.push(cur);
    }
    cur = undefined;
    dir = '';
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      warn(`line ${i + 1}: not a "K:value" line, ignored`);
      continue;
    }
    if (!cur) {
      cur = { name: '', version: '', arch: '', origin: '', license: '', commit: '', maintainer: '', files: [] };
      curLine = i + 1;
    }
    const value = line.slice(2);
    switch (line[0]) {
      case 'P': cur.name = value; break;
      case 'V': cur.version = value; break;
      case 'A': cur.arch = value; break;
      case 'o': cur.origin = value; break;
      case 'L': cur.license = value; break;
      case 'c': cur.commit = value; break;
      case 'm': cur.maintainer = value; break;
      case 'F': dir = normaliseImagePath(value); break;
      case 'R': {
        const f = normaliseImagePath(dir ? `${dir}/${value}` : value);
        if (f) cur.files.push(f);
        break;
      }
      default: break;
    }
  }
  flush();
  return { packages, warnings };
}

export interface ApkFragment {
  packages: ApkRecord[];
  warnings: string[];
}

export const APK_DB = 'lib/apk/db/installed';

export const apkAnalyzer: Analyzer<ApkFragment> = {
  name: 'apk',
  version: 2,
  kind: 'os',
  maxFileSize: 64 * 1024 * 1024,
  required: (p, meta) => isRegularFile(meta) && p === APK_DB,
  analyze: ({ path, content }) => parseApkInstalled(content, path),
  finalize(fragments: Fragment<ApkFragment>[]): AnalyzerOutput {
    const packages: Package[] = [];
    const warnings: string[] = [];
    for (const fr of fragments) {
      warnings.push(...fr.value.warnings);
      for (const r of fr.value.packages) {
        const pkg: Package = {
          name: r.name,
          version: r.version,
          ecosystem: '',
          type: 'apk',
          purl: '',
          // secdb keys advisories by origin; packages without `o:` are their own origin.
          source: { name: r.origin || r.name, version: r.version },
          locations: [{ layer: fr.layerDigest, path: fr.path }],
          files: r.files,
        };
        if (r.arch) pkg.arch = r.arch;
        if (r.license) pkg.licenses = [r.license];
        const metadata: Record<string, unknown> = {};
        if (r.commit) metadata.commit = r.commit;
        if (r.maintainer) metadata.maintainer = r.maintainer;
        if (Object.keys(metadata).length > 0) pkg.metadata = metadata;
        packages.push(pkg);
      }
    }
    return { packages, warnings };
  },
};
