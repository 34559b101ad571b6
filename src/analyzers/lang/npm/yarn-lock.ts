/**
 * yarn.lock, both yarn classic (v1, its own indented format) and yarn berry (v2+, YAML with a
 * `__metadata` block). Each block maps one or more requested ranges (`name@range`) to one
 * resolved version. Local projects (workspace:, link:, portal:, file:) and berry `patch:`
 * entries (the patched copy of a package also listed under its npm: resolution) are left out.
 */
import { parse as parseYaml } from 'yaml';
import { entries, isObject, str } from '../common.ts';
import type { NodePackage } from './types.ts';

export interface YarnEntry extends NodePackage {
  /** The `name@range` patterns this block resolves. */
  patterns: string[];
  /** `name@range` patterns this package depends on (dependencies + optionalDependencies). */
  dependsOn: string[];
}

const LOCAL_PROTOCOLS = ['workspace:', 'link:', 'portal:', 'file:', 'patch:', 'exec:'];

export function parseYarnLock(content: Buffer, path: string): YarnEntry[] {
  const text = content.toString('utf8').replace(/^\uFEFF/, '');
  if (/^__metadata:\s*$/m.test(text)) return parseBerry(text, path);
  return parseClassic(text, path);
}

/** Splits `@scope/name@range` / `name@npm:real@range` into the real package name and range. */
export function splitPattern(pattern: string): { name: string; range: string } | undefined {
  const at = pattern.indexOf('@', pattern.startsWith('@') ? 1 : 0);
  if (at <= 0) return undefined;
  const name = pattern.slice(0, at);
  let range = pattern.slice(at + 1);
  if (range.startsWith('npm:')) {
    const spec = range.slice(4);
    const realAt = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
    // `npm:^1.0.0` (berry's explicit protocol) vs `npm:real-name@^1.0.0` (an alias).
    if (realAt > 0) return { name: spec.slice(0, realAt), range: spec.slice(realAt + 1) };
    range = spec;
  }
  return { name, range };
}

function isLocal(range: string): boolean {
  return LOCAL_PROTOCOLS.some((p) => range.startsWith(p));
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return t;
}

function parseClassic(text: string, path: string): YarnEntry[] {
  const out: YarnEntry[] = [];
  let current: YarnEntry | undefined;
  let section: 'deps' | 'other' | undefined;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] ?? '';
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      if (!line.endsWith(':')) throw new Error(`${path}:${n + 1}: expected "pattern:" at the start of a block`);
      const patterns = splitKeyList(line.slice(0, -1));
      const first = patterns[0] === undefined ? undefined : splitPattern(patterns[0]);
      current = undefined;
      section = undefined;
      if (!first || patterns.some((p) => isLocal(splitPattern(p)?.range ?? ''))) continue;
      current = { name: first.name, version: '', patterns, dependsOn: [] };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const body = line.trim();
    if (indent <= 2) {
      section = undefined;
      if (body.endsWith(':')) {
        const key = body.slice(0, -1);
        section = key === 'dependencies' || key === 'optionalDependencies' ? 'deps' : 'other';
        continue;
      }
      const space = body.indexOf(' ');
      if (space < 0) continue;
      const key = unquote(body.slice(0, space));
      if (key === 'version') current.version = unquote(body.slice(space + 1));
      else if (key === 'resolved') current.metadata = { resolved: unquote(body.slice(space + 1)) };
      continue;
    }
    if (section === 'deps') {
      const m = /^("(?:[^"\\]|\\.)*"|\S+)\s+(.+)$/.exec(body);
      if (m?.[1] && m[2]) current.dependsOn.push(`${unquote(m[1])}@${unquote(m[2])}`);
    }
  }
  const withVersion = out.filter((e) => e.version !== '');
  return withVersion;
}

/** `"a@^1", a@~1.2, "@s/b@2"` → each pattern unquoted. */
function splitKeyList(key: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|[^,]+)\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < key.length && (m = re.exec(key)) !== null) {
    const item = unquote(m[1] ?? '');
    if (item) out.push(item);
    if (m[0] === '') break;
  }
  return out;
}

function parseBerry(text: string, path: string): YarnEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: false, logLevel: 'error' });
  } catch (err) {
    throw new Error(`${path}: invalid YAML (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  if (!isObject(doc)) throw new Error(`${path}: expected a YAML mapping at the top level`);
  const out: YarnEntry[] = [];
  for (const [key, raw] of entries(doc)) {
    if (key === '__metadata' || !isObject(raw)) continue;
    const resolution = str(raw.resolution) ?? '';
    const resolved = splitPattern(resolution);
    if (!resolved || isLocal(resolved.range)) continue;
    const version = raw.version === undefined || raw.version === null ? '' : String(raw.version);
    if (!version) continue;
    const patterns = key.split(',').map((p) => p.trim()).filter(Boolean);
    const dependsOn: string[] = [];
    for (const field of ['dependencies', 'optionalDependencies']) {
      for (const [dep, range] of entries(raw[field])) dependsOn.push(`${dep}@${String(range)}`);
    }
    out.push({ name: resolved.name, version, patterns, dependsOn, metadata: { resolution } });
  }
  return out;
}

/**
 * Marks direct and dev packages from the project's package.json: direct when the manifest
 * requests the package, dev when only reachable from devDependencies.
 */
export function classifyYarnEntries(
  lockEntries: YarnEntry[],
  manifest: { dependencies: [string, string][]; devDependencies: [string, string][] },
): YarnEntry[] {
  const byPattern = new Map<string, YarnEntry>();
  for (const e of lockEntries) {
    for (const p of e.patterns) {
      byPattern.set(p, e);
      // berry keys carry the protocol (`a@npm:^1`) while package.json says `a: ^1`.
      const split = splitPattern(p);
      if (split) byPattern.set(`${split.name}@${split.range}`, e);
    }
  }
  const lookup = (name: string, range: string): YarnEntry | undefined =>
    byPattern.get(`${name}@${range}`) ?? byPattern.get(`${name}@npm:${range}`);
  const reach = (roots: [string, string][]): Set<YarnEntry> => {
    const seen = new Set<YarnEntry>();
    const stack = roots.map(([n, r]) => lookup(n, r)).filter((e): e is YarnEntry => e !== undefined);
    while (stack.length) {
      const e = stack.pop();
      if (!e || seen.has(e)) continue;
      seen.add(e);
      for (const d of e.dependsOn) {
        const s = splitPattern(d);
        const next = byPattern.get(d) ?? (s ? lookup(s.name, s.range) : undefined);
        if (next && !seen.has(next)) stack.push(next);
      }
    }
    return seen;
  };
  const prod = reach(manifest.dependencies);
  const all = reach([...manifest.dependencies, ...manifest.devDependencies]);
  const direct = new Set(
    [...manifest.dependencies, ...manifest.devDependencies].map(([n, r]) => lookup(n, r)).filter((e) => e !== undefined),
  );
  return lockEntries.map((e) => ({
    ...e,
    indirect: !direct.has(e),
    // Entries unreachable from either root (stale lock content) stay non-dev: better a finding
    // than a silently hidden package.
    dev: all.has(e) && !prod.has(e),
  }));
}
