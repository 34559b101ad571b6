/**
 * Licences as SBOM formats want them. Packages carry whatever their metadata says: SPDX ids
 * (`MIT`), SPDX expressions (`MIT OR Apache-2.0`), and names that only look like ids (Debian's
 * `GPL-2+`, `Expat`, rpm's `GPLv2+`). CycloneDX accepts `license.id` only from the SPDX list and an
 * `expression` only when it parses; SPDX accepts only valid expressions. So every value is checked
 * against the SPDX licence list (spdx-license-ids) and expression grammar (spdx-expression-parse);
 * what does not pass is written as a plain name, never as an id.
 */
import { createRequire } from 'node:module';
import parseSpdxExpression from 'spdx-expression-parse';

const require = createRequire(import.meta.url);
const LICENSE_IDS = [...(require('spdx-license-ids') as string[]), ...(require('spdx-license-ids/deprecated.json') as string[])];
const ID_BY_LOWER = new Map(LICENSE_IDS.map((id) => [id.toLowerCase(), id]));

/** The SPDX licence id `text` names, case-insensitively (`mit` → `MIT`), or undefined. */
export function spdxLicenseId(text: string): string | undefined {
  return ID_BY_LOWER.get(text.trim().toLowerCase());
}

/** `text` when it is a valid SPDX licence expression (ids, `LicenseRef-…`, AND/OR/WITH, `+`), else undefined. */
export function spdxExpression(text: string): string | undefined {
  const trimmed = text.trim();
  const id = spdxLicenseId(trimmed);
  if (id) return id;
  if (trimmed === '') return undefined;
  try {
    parseSpdxExpression(trimmed);
    return trimmed;
  } catch {
    return undefined;
  }
}

/** True for an expression with operators (as opposed to one licence id). */
export function isCompound(expression: string): boolean {
  return /\s(AND|OR|WITH)\s|[()+]/.test(expression) || expression.startsWith('LicenseRef-');
}

/** All licences as one SPDX expression joined by AND (compound parts parenthesised), or undefined if any is not SPDX. */
export function combinedSpdxExpression(licenses: readonly string[] | undefined): string | undefined {
  if (!licenses || licenses.length === 0) return undefined;
  const parts: string[] = [];
  for (const l of licenses) {
    const e = spdxExpression(l);
    if (e === undefined) return undefined;
    const part = isCompound(e) && /\s(AND|OR)\s/.test(e) ? `(${e})` : e;
    if (!parts.includes(part)) parts.push(part);
  }
  return parts.join(' AND ');
}

/** Licences that are not SPDX ids or expressions (`GPL-2+`, `Expat`), as written. */
export function nonSpdxLicenses(licenses: readonly string[] | undefined): string[] {
  return (licenses ?? []).filter((l) => spdxExpression(l) === undefined);
}
