/**
 * Composer: `composer.lock` (`packages` and `packages-dev`) and the installed-package list
 * `vendor/composer/installed.json`, in Composer 1's format (a bare array) and Composer 2's
 * (`{ packages: [...], dev-package-names: [...] }`). Versions are kept as written (`v1.27.0`):
 * that is how Packagist advisories and Trivy name them.
 */
import { isObject, parseJson, str } from '../common.ts';
import type { JsonValue } from '../common.ts';

export interface ComposerPackage {
  name: string;
  version: string;
  licenses?: string[];
  dev?: boolean;
}

function fromEntries(list: JsonValue | undefined, dev: (name: string) => boolean): ComposerPackage[] {
  if (!Array.isArray(list)) return [];
  const out: ComposerPackage[] = [];
  for (const raw of list) {
    if (!isObject(raw)) continue;
    const name = str(raw.name)?.trim();
    const version = str(raw.version)?.trim();
    if (!name || !version) continue;
    // `"MIT or BSD-2-Clause"` is a choice between two licenses; list each, as Trivy does.
    const licenses = (Array.isArray(raw.license) ? raw.license : [raw.license])
      .filter((l): l is string => typeof l === 'string')
      .flatMap((l) => l.split(/\s+(?:or|and)\s+|\s*,\s*/i))
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const pkg: ComposerPackage = { name, version, dev: dev(name) };
    if (licenses.length) pkg.licenses = licenses;
    out.push(pkg);
  }
  return out;
}

export function parseComposerLock(content: Buffer, path: string): ComposerPackage[] {
  const doc = parseJson(content, path);
  if (!isObject(doc)) throw new Error(`${path}: expected a JSON object at the top level`);
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) throw new Error(`${path}: "packages" must be an array`);
  return [...fromEntries(doc.packages, () => false), ...fromEntries(doc['packages-dev'] ?? undefined, () => true)];
}

export function parseInstalledJson(content: Buffer, path: string): ComposerPackage[] {
  const doc = parseJson(content, path);
  if (Array.isArray(doc)) return fromEntries(doc, () => false);
  if (!isObject(doc) || !Array.isArray(doc.packages)) throw new Error(`${path}: expected an array or an object with a "packages" array`);
  const devNames = new Set(Array.isArray(doc['dev-package-names']) ? doc['dev-package-names'].filter((n): n is string => typeof n === 'string') : []);
  return fromEntries(doc.packages, (name) => devNames.has(name));
}
