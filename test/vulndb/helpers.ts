/** Shared helpers for vulndb/matcher tests: temp dirs and a once-per-process import of the staged data. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Package } from '../../src/model/inventory.ts';
import { importAdvisories } from '../../src/vulndb/import.ts';
import type { ImportSummary } from '../../src/vulndb/import.ts';
import { sharedData } from '../helpers/shared-data.ts';

export function tempDir(prefix = 'pw-vulndb-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Imports every staged OSV and distro file into a fresh index under `dir`. */
export async function importStaged(dir: string): Promise<ImportSummary> {
  return importAdvisories([sharedData('osv'), sharedData('distro')], { dbPath: path.join(dir, 'advisories.db'), replace: true });
}

export function pkg(p: Partial<Package> & Pick<Package, 'name' | 'version'>): Package {
  return { ecosystem: '', type: 'npm', purl: '', locations: [], ...p };
}

export function osvRecord(id: string, ecosystem: string, name: string, events: Record<string, string>[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema_version: '1.6.0',
    id,
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events }] }],
    ...extra,
  };
}
