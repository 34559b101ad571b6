/**
 * Installed npm packages: `package.json` files of directories that npm (or pnpm/yarn with a
 * node_modules linker) placed directly under a `node_modules` folder — the same tree `npm ls --all`
 * walks. A `package.json` deeper inside a package (`node_modules/x/lib/package.json`, test
 * fixtures under `node_modules/x/test/node_modules/y`) is not a package root and is ignored.
 */
import { entries, isObject, parseJsonObject, str } from '../common.ts';
import type { NodePackage } from './types.ts';

export interface InstalledPath {
  /** The project directory holding the top `node_modules` (`app`, `usr/local/lib`, `` for the root). */
  projectDir: string;
  /** Path of the package directory relative to `projectDir` (`node_modules/a/node_modules/@s/b`), the key package-lock v2 uses. */
  installPath: string;
  /** Package name implied by the directory (`@s/b`). */
  dirName: string;
  /** Installed through pnpm's content-addressed store (`node_modules/.pnpm/<id>/node_modules/<name>`). */
  pnpmStore: boolean;
}

/**
 * Classifies an image path. Returns undefined unless the path is
 * `<project>/node_modules/[@scope/]name(/node_modules/[@scope/]name)* + /package.json`,
 * where a pnpm store hop `node_modules/.pnpm/<id>/node_modules/…` is also allowed.
 */
export function classifyInstalledPackageJson(path: string): InstalledPath | undefined {
  if (!path.endsWith('/package.json')) return undefined;
  const segments = path.split('/');
  const first = segments.indexOf('node_modules');
  if (first < 0) return undefined;
  let i = first;
  let dirName = '';
  let pnpmStore = false;
  const last = segments.length - 1; // index of "package.json"
  while (i < last) {
    if (segments[i] !== 'node_modules') return undefined;
    const seg = segments[i + 1];
    if (seg === undefined || i + 1 >= last) return undefined;
    if (seg === '.pnpm') {
      // `.pnpm/<name>@<version>/node_modules/…`: the store directory itself is not a package.
      const id = segments[i + 2];
      if (id === undefined || id.startsWith('.') || i + 3 >= last || segments[i + 3] !== 'node_modules') return undefined;
      pnpmStore = true;
      i += 3;
      continue;
    }
    if (seg.startsWith('.') || seg === '') return undefined;
    if (seg.startsWith('@')) {
      const scoped = segments[i + 2];
      if (scoped === undefined || i + 2 >= last || scoped.startsWith('.') || scoped === '') return undefined;
      dirName = `${seg}/${scoped}`;
      i += 3;
    } else {
      dirName = seg;
      i += 2;
    }
  }
  if (i !== last || dirName === '') return undefined;
  return {
    projectDir: segments.slice(0, first).join('/'),
    installPath: segments.slice(first, last).join('/'),
    dirName,
    pnpmStore,
  };
}

/**
 * Parses an installed package's `package.json`. Returns undefined for a manifest without a
 * version (npm ls reports such a folder as invalid, and there is nothing to match).
 * The name falls back to the directory name, as npm does when `name` is missing.
 */
export function parseInstalledPackageJson(content: Buffer, path: string, dirName: string): NodePackage | undefined {
  const manifest = parseJsonObject(content, path);
  const version = str(manifest.version)?.trim();
  if (!version) return undefined;
  const name = str(manifest.name)?.trim() || dirName;
  const licenses = licensesOf(manifest);
  return { name, version, ...(licenses.length ? { licenses } : {}) };
}

/** `license: "MIT"`, `license: {type}`, or the deprecated `licenses: [{type} | "MIT"]`. */
export function licensesOf(manifest: Record<string, unknown>): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    const s = typeof v === 'string' ? v : isObject(v) ? str(v.type) : undefined;
    if (s && s.trim() && !out.includes(s.trim())) out.push(s.trim());
  };
  add(manifest.license);
  if (Array.isArray(manifest.licenses)) for (const l of manifest.licenses) add(l);
  else if (manifest.licenses !== undefined) add(manifest.licenses);
  return out;
}

/** Names listed in a manifest's dependency maps (used to tell direct from indirect and dev from prod). */
export function dependencyNames(manifest: Record<string, unknown>, field: string): string[] {
  return entries(manifest[field]).map(([k]) => k);
}
