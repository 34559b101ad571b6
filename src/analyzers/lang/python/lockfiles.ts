/**
 * Python project files: requirements.txt (pinned `==` lines only), poetry.lock, Pipfile.lock,
 * uv.lock and pylock.toml (PEP 751). Names are kept as written; the purl normalises them.
 */
import { parse as parseToml } from 'smol-toml';
import { entries, isObject, obj, parseJsonObject, str } from '../common.ts';
import { decodeText } from './metadata.ts';

export interface PythonLockPackage {
  name: string;
  version: string;
  dev?: boolean;
  /** `root` for the project itself when the lockfile lists it (uv). */
  relationship?: 'root';
}

/**
 * requirements.txt: one requirement per logical line (backslash continuations joined, `#`
 * comments dropped). Only exact pins (`name==1.0`, with optional extras, spaces, environment
 * markers after `;` and `--hash` options) identify a version; ranges, URLs, editable installs
 * and `-r`/`-c` includes are skipped (an included file is analyzed on its own when present).
 */
export function parseRequirements(content: Buffer): PythonLockPackage[] {
  const text = decodeText(content).replace(/^\uFEFF/, '');
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const out: PythonLockPackage[] = [];
  const seen = new Set<string>();
  for (const raw of logical) {
    let line = raw;
    const hash = line.search(/(^|\s)#/);
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (!line || line.startsWith('-')) continue;
    const semicolon = line.indexOf(';');
    if (semicolon >= 0) line = line.slice(0, semicolon);
    // Per-requirement options (`--hash=sha256:…`, `--config-settings …`) follow the specifier.
    const option = line.search(/\s--?[a-zA-Z]/);
    if (option >= 0) line = line.slice(0, option);
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s,;=<>!~*]+)\s*$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    const key = `${m[1]}@${m[2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: m[1], version: m[2] });
  }
  return out;
}

function tomlDoc(content: Buffer, path: string): Record<string, unknown> {
  try {
    return parseToml(decodeText(content)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: invalid TOML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}

function tables(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => isObject(v)) : [];
}

/** poetry.lock: `[[package]]` name/version; `category = "dev"` (Poetry < 1.5) marks dev packages. */
export function parsePoetryLock(content: Buffer, path: string): PythonLockPackage[] {
  const doc = tomlDoc(content, path);
  const out: PythonLockPackage[] = [];
  for (const p of tables(doc.package)) {
    const name = str(p.name);
    const version = str(p.version);
    if (!name || !version) continue;
    const pkg: PythonLockPackage = { name, version };
    if (p.category === 'dev') pkg.dev = true;
    out.push(pkg);
  }
  return out;
}

/**
 * uv.lock: `[[package]]`; the project itself (`source = { virtual | editable = "." }`) is the root.
 * Dev: packages reachable only through the local projects' `dev-dependencies` groups.
 */
export function parseUvLock(content: Buffer, path: string): PythonLockPackage[] {
  const doc = tomlDoc(content, path);
  const out: PythonLockPackage[] = [];
  const graph = new Map<string, string[]>();
  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  const depNames = (list: unknown): string[] => tables(list).map((d) => str(d.name)).filter((n): n is string => Boolean(n));
  const groupNames = (groups: unknown): string[] => Object.values(obj(groups) ?? {}).flatMap((g) => depNames(g));
  for (const p of tables(doc.package)) {
    const name = str(p.name);
    const version = str(p.version);
    if (!name) continue;
    const key = normalize(name);
    const source = obj(p.source);
    const local = source !== undefined && (source.virtual !== undefined || source.editable !== undefined || source.path !== undefined || source.directory !== undefined);
    graph.set(key, [...depNames(p.dependencies), ...groupNames(p['optional-dependencies'])].map(normalize));
    if (local) {
      prodRoots.push(...depNames(p.dependencies).map(normalize), ...groupNames(p['optional-dependencies']).map(normalize));
      devRoots.push(...groupNames(p['dev-dependencies']).map(normalize));
    }
    if (!version) continue;
    if (source && (source.virtual === '.' || source.editable === '.')) out.push({ name, version, relationship: 'root' });
    // Other local projects of a workspace are the user's code, not PyPI packages.
    else if (!local) out.push({ name, version });
  }
  if (devRoots.length) {
    const prod = reach(prodRoots, graph);
    const all = reach([...prodRoots, ...devRoots], graph);
    for (const pkg of out) {
      const key = normalize(pkg.name);
      if (pkg.relationship !== 'root' && all.has(key) && !prod.has(key)) pkg.dev = true;
    }
  }
  return out;
}

function normalize(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

function reach(roots: string[], graph: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop();
    if (n === undefined || seen.has(n)) continue;
    seen.add(n);
    for (const d of graph.get(n) ?? []) if (!seen.has(d)) stack.push(d);
  }
  return seen;
}

/** pylock.toml (PEP 751): `[[packages]]` with name and (for registry packages) version. */
export function parsePylock(content: Buffer, path: string): PythonLockPackage[] {
  const doc = tomlDoc(content, path);
  const out: PythonLockPackage[] = [];
  for (const p of tables(doc.packages)) {
    const name = str(p.name);
    const version = str(p.version);
    if (name && version) out.push({ name, version });
  }
  return out;
}

/** Pipfile.lock: `default` (and `develop`, marked dev) map names to `{ version: "==1.0" }`. */
export function parsePipfileLock(content: Buffer, path: string): PythonLockPackage[] {
  const doc = parseJsonObject(content, path);
  const out: PythonLockPackage[] = [];
  for (const [section, dev] of [['default', false], ['develop', true]] as const) {
    for (const [name, raw] of entries(doc[section])) {
      const spec = isObject(raw) ? str(raw.version) : undefined;
      if (!spec?.startsWith('==')) continue;
      const version = spec.slice(2).trim();
      if (!version || version.includes('*')) continue;
      out.push(dev ? { name, version, dev } : { name, version });
    }
  }
  return out;
}
