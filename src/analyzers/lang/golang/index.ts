/**
 * Go inventory: modules compiled into executables (build info) and modules declared by
 * go.mod/go.sum in source trees.
 */
import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import type { Analyzer, AnalyzerInput, Fragment } from '../../types.ts';
import type { Package } from '../../../model/inventory.ts';
import { executableImages, isRegularContent, looksLikeExecutable, tryParseExecutable } from '../../binary/exe.ts';
import { parseModinfo, readGoBuildInfo, type GoBuildInfo } from './buildinfo.ts';
import { isLocalModulePath, parseGoMod, parseGoSum, resolveGoModRequires } from './gomod.ts';

export { readGoBuildInfo, parseModinfo } from './buildinfo.ts';
export { parseGoMod, parseGoSum, resolveGoModRequires } from './gomod.ts';

type PackageDraft = Omit<Package, 'locations'>;

export function goPurl(modulePath: string, version: string): string {
  const slash = modulePath.lastIndexOf('/');
  const namespace = slash > 0 ? modulePath.slice(0, slash) : undefined;
  const name = slash > 0 ? modulePath.slice(slash + 1) : modulePath;
  try {
    return new PackageURL('golang', namespace, name, version || undefined, undefined, undefined).toString();
  } catch {
    return '';
  }
}

function goModule(modulePath: string, version: string, metadata?: Record<string, unknown>): PackageDraft {
  const p: PackageDraft = { name: modulePath, version, ecosystem: 'Go', type: 'go-module', purl: goPurl(modulePath, version) };
  if (metadata && Object.keys(metadata).length > 0) p.metadata = metadata;
  return p;
}

/** `go1.19.8` → `1.19.8`; experiments suffixes (`go1.22.0 X:boringcrypto`) dropped; dev toolchains → undefined. */
export function stdlibVersion(goVersion: string): string | undefined {
  const first = goVersion.trim().split(/\s+/)[0] ?? '';
  if (!/^go\d+(\.\d+)*([a-z]+\d+)?$/.test(first)) return undefined;
  return first.slice(2);
}

const SEMVER_LIKE = /^v?\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * Version stamped with `-ldflags "-X pkg.version=1.2.3"`, the common way to version a `(devel)`
 * main module (as Trivy does: a key ending in `.version` or `.ver` whose value looks like semver).
 */
export function versionFromLdflags(ldflags: string): string | undefined {
  const tokens = ldflags.match(/'[^']*'|"[^"]*"|\S+/g)?.map((t) => t.replace(/^['"]|['"]$/g, '')) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    let assignment: string | undefined;
    if (t === '-X' || t === '--X') assignment = tokens[++i];
    else if (t.startsWith('-X=') || t.startsWith('--X=')) assignment = t.slice(t.indexOf('=') + 1);
    if (!assignment) continue;
    const eq = assignment.indexOf('=');
    if (eq < 0) continue;
    const key = assignment.slice(0, eq).toLowerCase();
    const value = assignment.slice(eq + 1);
    if ((key.endsWith('.version') || key.endsWith('.ver')) && SEMVER_LIKE.test(value)) return value;
  }
  return undefined;
}

/** Packages from parsed build info: stdlib, the main module, then every dependency (replacements applied). */
export function goBinaryPackages(info: GoBuildInfo): PackageDraft[] {
  const out: PackageDraft[] = [];
  const settings = Object.fromEntries(info.settings.map((s) => [s.key, s.value]));
  const std = stdlibVersion(info.goVersion);
  if (std) {
    out.push({ name: 'stdlib', version: std, ecosystem: 'Go', type: 'go-stdlib', purl: goPurl('stdlib', std), metadata: { goVersion: info.goVersion } });
  }
  if (info.main && info.main.path) {
    const meta: Record<string, unknown> = { mainModule: true, mainPackage: info.path };
    let version = info.main.version === '(devel)' ? '' : info.main.version;
    if (version === '') {
      const stamped = versionFromLdflags(settings['-ldflags'] ?? '');
      if (stamped) { version = stamped; meta.versionSource = 'ldflags'; }
      else meta.note = 'main module version is (devel): built from a source tree, not a tagged module';
    }
    for (const k of ['GOOS', 'GOARCH', 'CGO_ENABLED', '-tags', 'vcs', 'vcs.revision', 'vcs.time', 'vcs.modified']) {
      if (settings[k] !== undefined) meta[k] = settings[k];
    }
    out.push(goModule(info.main.path, version, meta));
  }
  for (const dep of info.deps) {
    // Old toolchains sometimes listed the main module as a dependency with an empty path.
    if (!dep.path) continue;
    const rep = dep.replace;
    if (rep && isLocalModulePath(rep.path)) {
      // A directory replacement compiles local code: no registry version describes it, so the
      // module keeps its own path (for the SBOM) with an unknown version.
      out.push(goModule(dep.path, '', {
        replacement: { path: rep.path, local: true },
        requiredVersion: dep.version,
        note: `replaced by local directory ${rep.path}; version unknown`,
      }));
      continue;
    }
    const actual = rep ?? dep;
    const meta: Record<string, unknown> = {};
    if (rep) meta.replaces = { path: dep.path, version: dep.version };
    if (actual.sum) meta.h1 = actual.sum;
    out.push(goModule(actual.path, actual.version === '(devel)' ? '' : actual.version, meta));
  }
  return out;
}

function withLocations(fragments: Fragment<PackageDraft[]>[]): Package[] {
  return fragments.flatMap((f) => f.value.map((p) => ({ ...p, locations: [{ layer: f.layerDigest, path: f.path }] })));
}

export const goBinaryAnalyzer: Analyzer<PackageDraft[]> = {
  name: 'gobinary',
  version: 1,
  kind: 'language',
  maxFileSize: 256 * 1024 * 1024,
  required(filePath, meta) {
    return isRegularContent(meta) && meta.size >= 64 && looksLikeExecutable(filePath, meta.mode);
  },
  analyze({ path: filePath, content }: AnalyzerInput) {
    // Universal binaries carry one image per architecture, built from the same modules: the
    // first image with build info speaks for the file.
    for (const image of executableImages(content)) {
      const exe = tryParseExecutable(image);
      if (!exe) continue;
      let raw;
      try {
        raw = readGoBuildInfo(image, exe);
      } catch (err) {
        throw new Error(`${filePath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (raw) return goBinaryPackages(parseModinfo(raw.goVersion, raw.modinfo));
    }
    return undefined;
  },
  finalize(fragments) {
    return { packages: withLocations(fragments) };
  },
};

/**
 * go.mod files of dependencies, not of projects: `vendor/` trees and the module cache
 * (`…/pkg/mod/<module>@<version>/go.mod`, also `cache/download`). Their requirements were not
 * built into anything, so reporting them would only add noise.
 */
export function inDependencyCopy(filePath: string): boolean {
  const parts = filePath.split('/');
  if (parts.includes('vendor')) return true;
  const mod = parts.findIndex((p, i) => p === 'mod' && parts[i - 1] === 'pkg');
  return mod >= 0 && parts.slice(mod + 1).some((p) => p.includes('@') || p === 'cache');
}

interface GoModFragment {
  kind: 'go.mod' | 'go.sum';
  goVersion?: string;
  packages: PackageDraft[];
}

/** Go before 1.17 did not list indirect requirements in go.mod, so go.sum completes them. */
function goModIsComplete(goVersion: string | undefined): boolean {
  if (!goVersion) return false;
  const [maj, min] = goVersion.split('.').map((x) => parseInt(x, 10));
  return (maj ?? 0) > 1 || ((maj ?? 0) === 1 && (min ?? 0) >= 17);
}

export const goModAnalyzer: Analyzer<GoModFragment> = {
  name: 'gomod',
  version: 1,
  kind: 'language',
  required(filePath, meta) {
    const base = path.posix.basename(filePath);
    return isRegularContent(meta) && (base === 'go.mod' || base === 'go.sum') && !inDependencyCopy(filePath);
  },
  analyze({ path: filePath, content }) {
    const text = content.toString('utf8');
    if (path.posix.basename(filePath) === 'go.sum') {
      return { kind: 'go.sum', packages: parseGoSum(text).map((m) => ({ ...goModule(m.path, m.version), indirect: true })) };
    }
    const mod = parseGoMod(text);
    const packages: PackageDraft[] = [];
    if (mod.module) packages.push({ ...goModule(mod.module, '', { mainModule: true }) });
    for (const r of resolveGoModRequires(mod)) {
      const p = goModule(r.path, r.version, r.replaced ? { replaces: r.replaced } : undefined);
      p.indirect = r.indirect;
      packages.push(p);
    }
    return { kind: 'go.mod', goVersion: mod.goVersion, packages };
  },
  finalize(fragments) {
    const byDir = new Map<string, { mod?: Fragment<GoModFragment>; sum?: Fragment<GoModFragment> }>();
    for (const f of fragments) {
      const dir = path.posix.dirname(f.path);
      const slot = byDir.get(dir) ?? {};
      if (f.value.kind === 'go.mod') slot.mod = f; else slot.sum = f;
      byDir.set(dir, slot);
    }
    const packages: Package[] = [];
    for (const { mod, sum } of byDir.values()) {
      if (mod) {
        packages.push(...withLocations([{ ...mod, value: mod.value.packages }]));
        if (sum && !goModIsComplete(mod.value.goVersion)) {
          const known = new Set(mod.value.packages.map((p) => p.name));
          packages.push(...withLocations([{ ...sum, value: sum.value.packages.filter((p) => !known.has(p.name)) }]));
        }
      } else if (sum) {
        packages.push(...withLocations([{ ...sum, value: sum.value.packages }]));
      }
    }
    return { packages };
  },
};
