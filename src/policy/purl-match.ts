/**
 * Purl comparison for suppression rules: a rule purl matches a package purl when type, namespace
 * and name are equal and every part the rule states (version, qualifiers) is equal too, so
 * `pkg:npm/lodash` covers every installed lodash while `pkg:npm/lodash@4.17.20` covers one.
 */
export interface ParsedPurl {
  type: string;
  namespace: string;
  name: string;
  version?: string;
  qualifiers: Map<string, string>;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function parsePurlLoose(purl: string): ParsedPurl | undefined {
  if (!purl.toLowerCase().startsWith('pkg:')) return undefined;
  let rest = purl.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers = new Map<string, string>();
  const question = rest.indexOf('?');
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const value = decode(pair.slice(eq + 1));
      if (value !== '') qualifiers.set(pair.slice(0, eq).toLowerCase(), value);
    }
    rest = rest.slice(0, question);
  }
  const lastSlash = rest.lastIndexOf('/');
  const at = rest.indexOf('@', lastSlash + 1);
  let version: string | undefined;
  if (at >= 0) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const segments = rest.split('/').filter((s) => s !== '');
  const type = segments.shift()?.toLowerCase();
  const name = segments.pop();
  if (type === undefined || name === undefined) return undefined;
  // The purl spec makes names case-insensitive for these types; comparing lowercased avoids misses.
  const caseless = ['npm', 'pypi', 'deb', 'apk', 'github', 'bitbucket', 'golang'].includes(type);
  const norm = (s: string): string => (caseless ? s.toLowerCase() : s);
  let normalizedName = norm(decode(name));
  if (type === 'pypi') normalizedName = normalizedName.replace(/[-_.]+/g, '-');
  return {
    type,
    namespace: norm(segments.map(decode).join('/')),
    name: normalizedName,
    ...(version !== undefined && version !== '' ? { version } : {}),
    qualifiers,
  };
}

/** True when `rulePurl` (possibly without version/qualifiers) covers `packagePurl`. */
export function purlCovers(rulePurl: string, packagePurl: string): boolean {
  const rule = parsePurlLoose(rulePurl);
  const pkg = parsePurlLoose(packagePurl);
  if (rule === undefined || pkg === undefined) return false;
  if (rule.type !== pkg.type || rule.namespace !== pkg.namespace || rule.name !== pkg.name) return false;
  if (rule.version !== undefined && rule.version !== pkg.version) return false;
  for (const [key, value] of rule.qualifiers) {
    if (pkg.qualifiers.get(key) !== value) return false;
  }
  return true;
}
