/**
 * bun.lock (Bun ≥ 1.2's text lockfile): JSON with trailing commas. `packages` maps an install key
 * (`name`, or `parent/name` for a nested copy) to `[ident, registry, info, integrity]` where
 * ident is `name@version` (`name@workspace:…`, `name@link:…`, `name@file:…` for local code, which
 * is skipped). Direct and dev follow the workspaces' dependency maps.
 */
import { entries, isObject, obj, parseJsonObject, str } from '../common.ts';
import type { JsonObject } from '../common.ts';
import type { NodePackage } from './types.ts';

/** Removes `//` and block comments and trailing commas outside strings (bun writes the latter). */
export function stripJsonc(text: string): string {
  return dropTrailingCommas(scanOutsideStrings(text, (t, i) => {
    if (t[i] === '/' && t[i + 1] === '/') {
      const end = t.indexOf('\n', i);
      return end < 0 ? t.length : end;
    }
    if (t[i] === '/' && t[i + 1] === '*') {
      const end = t.indexOf('*/', i + 2);
      return end < 0 ? t.length : end + 2;
    }
    return i;
  }));
}

function dropTrailingCommas(text: string): string {
  return scanOutsideStrings(text, (t, i) => {
    if (t[i] !== ',') return i;
    let j = i + 1;
    while (j < t.length && (t[j] === ' ' || t[j] === '\n' || t[j] === '\r' || t[j] === '\t')) j++;
    return t[j] === '}' || t[j] === ']' ? i + 1 : i;
  });
}

/**
 * Copies `text`, letting `skip(text, i)` drop a span outside string literals: it returns the index
 * to continue from (`i` itself to keep the character). Linear in the input.
 */
function scanOutsideStrings(text: string, skip: (t: string, i: number) => number): string {
  const parts: string[] = [];
  let from = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (text[i] === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    const next = skip(text, i);
    if (next !== i) {
      parts.push(text.slice(from, i));
      from = next;
      i = next;
    } else {
      i++;
    }
  }
  parts.push(text.slice(from));
  return parts.join('');
}

const LOCAL = /^(workspace|link|file|portal):/;

export function parseBunLock(content: Buffer, path: string): NodePackage[] {
  const doc = parseJsonObject(stripJsonc(content.toString('utf8')), path);
  const packages = obj(doc.packages);
  if (!packages) throw new Error(`${path}: no "packages" object; not a bun.lock`);

  interface Entry { key: string; name: string; version: string; deps: string[] }
  const byKey = new Map<string, Entry>();
  for (const [key, raw] of entries(packages)) {
    if (!Array.isArray(raw)) continue;
    const ident = str(raw[0]);
    if (!ident) continue;
    const at = ident.indexOf('@', ident.startsWith('@') ? 1 : 0);
    if (at <= 0) continue;
    const name = ident.slice(0, at);
    const version = ident.slice(at + 1);
    if (!version || LOCAL.test(version)) continue;
    const info: JsonObject = raw.find((v, idx) => idx > 0 && isObject(v)) as JsonObject | undefined ?? {};
    const deps = ['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((f) => entries(info[f]).map(([d]) => d));
    byKey.set(key, { key, name, version, deps });
  }

  // A dependency of `a/b` resolves to `a/b/dep`, else `a/dep`, else `dep` (node_modules lookup order).
  const resolve = (fromKey: string, dep: string): Entry | undefined => {
    let scope = fromKey;
    for (;;) {
      const hit = byKey.get(scope ? `${scope}/${dep}` : dep);
      if (hit || !scope) return hit;
      const cut = scope.lastIndexOf('/');
      // Scoped names contain a slash of their own: `@s/a/dep` → parent `@s/a`, then ``.
      const parent = cut < 0 ? '' : scope.slice(0, cut);
      scope = parent.startsWith('@') && !parent.includes('/') ? '' : parent;
    }
  };
  const reach = (roots: string[]): Set<Entry> => {
    const seen = new Set<Entry>();
    const stack = roots.map((r) => byKey.get(r)).filter((e): e is Entry => e !== undefined);
    while (stack.length) {
      const e = stack.pop();
      if (!e || seen.has(e)) continue;
      seen.add(e);
      for (const d of e.deps) {
        const next = resolve(e.key, d);
        if (next && !seen.has(next)) stack.push(next);
      }
    }
    return seen;
  };

  const prodRoots: string[] = [];
  const devRoots: string[] = [];
  for (const [, ws] of entries(doc.workspaces)) {
    const w = obj(ws);
    if (!w) continue;
    for (const f of ['dependencies', 'optionalDependencies', 'peerDependencies']) prodRoots.push(...entries(w[f]).map(([d]) => d));
    devRoots.push(...entries(w.devDependencies).map(([d]) => d));
  }
  const direct = new Set([...prodRoots, ...devRoots]);
  const prod = reach(prodRoots);
  const all = reach([...prodRoots, ...devRoots]);
  const hasRoots = direct.size > 0;

  const out = new Map<string, NodePackage>();
  for (const e of byKey.values()) {
    const pkg: NodePackage = { name: e.name, version: e.version };
    if (hasRoots) {
      pkg.indirect = !direct.has(e.key);
      pkg.dev = all.has(e) && !prod.has(e);
    }
    const id = `${e.name}@${e.version}`;
    const seen = out.get(id);
    if (!seen) out.set(id, pkg);
    else {
      seen.dev = Boolean(seen.dev) && Boolean(pkg.dev);
      if (pkg.indirect === false) seen.indirect = false;
    }
  }
  return [...out.values()];
}
