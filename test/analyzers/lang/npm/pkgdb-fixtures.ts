/** Reads the pkgdb-fixtures cases (../shared/data/pkgdb-fixtures/<eco>/<case>) for the language analyzer tests. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sharedData } from '../../../helpers/shared-data.ts';

export interface FixtureCase {
  name: string;
  dir: string;
  /** Input files, path relative to `input/` → absolute path. */
  inputs: { rel: string; abs: string }[];
  expected: Record<string, unknown>[];
}

export function fixtureCases(eco: string): FixtureCase[] {
  const root = sharedData('pkgdb-fixtures', eco);
  return readdirSync(root).sort().map((name) => {
    const dir = path.join(root, name);
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { packages?: Record<string, unknown>[] };
    const inputs: { rel: string; abs: string }[] = [];
    const walk = (d: string, rel: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(d, e.name), r);
        else inputs.push({ rel: r, abs: path.join(d, e.name) });
      }
    };
    walk(path.join(dir, 'input'), '');
    return { name, dir, inputs, expected: expected.packages ?? [] };
  });
}

/** Trivy's Relationship literal → our `indirect` flag (undefined when unknown/absent). */
export function indirectOf(rel: unknown): boolean | undefined {
  if (rel === 'ftypes.RelationshipDirect') return false;
  if (rel === 'ftypes.RelationshipIndirect') return true;
  return undefined;
}
