import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { IndexBuilder } from '../../src/vulndb/index-builder.ts';
import { readDbStatus } from '../../src/vulndb/store.ts';
import type { OsvRecord } from '../../src/vulndb/osv.ts';
import { openAdvisoryIndex } from '../../src/matcher/index.ts';
import { tempDir } from './helpers.ts';

const record = (id: string, modified: string, affected: [ecosystem: string, name: string, fixed: string][], withdrawn?: string): OsvRecord => ({
  id,
  modified,
  ...(withdrawn ? { withdrawn } : {}),
  aliases: [`CVE-2024-${id.slice(-4)}`],
  affected: affected.map(([ecosystem, name, fixed]) => ({ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] })),
});

/** What the index holds for one package: (advisory, fix) per row, read the way matching reads it. */
function rowsOf(file: string, ecosystem: string, name: string): string[] {
  const index = openAdvisoryIndex(file);
  try {
    return (index.lookup(ecosystem, [name]).get(name) ?? []).map((r) => `${r.advisoryId} ${r.data.name} <${(r.data.ranges?.[0]?.events[1] as { fixed: string }).fixed}`).sort();
  } finally {
    index.close();
  }
}

describe('index builder: affected rows live in their advisory row (schema 3)', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  test('replace, merge-affected and withdrawal keep lookup rows and advisory JSON in step', () => {
    const file = path.join(tmp.dir, 'a.db');
    let b = new IndexBuilder(file);
    b.upsert(record('DSA-0001', '2024-01-01T00:00:00Z', [['Debian:12', 'openssl', '3.0.1-1'], ['Debian:12', 'curl', '7.0-1']]), 'test', 'merge-affected');
    b.upsert(record('GHSA-x-0002', '2024-01-01T00:00:00Z', [['npm', 'left-pad', '1.3.0']]), 'test');
    b.commit();
    assert.deepEqual(rowsOf(file, 'Debian:12', 'openssl'), ['DSA-0001 openssl <3.0.1-1']);
    assert.deepEqual(rowsOf(file, 'Debian:12', 'curl'), ['DSA-0001 curl <7.0-1']);

    // A merge base: a feed file brings a new fix for one package of the record; the other package's row stays.
    b = new IndexBuilder(file, { base: file });
    b.upsert(record('DSA-0001', '2024-02-01T00:00:00Z', [['Debian:12', 'OpenSSL', '3.0.2-1']]), 'test', 'merge-affected');
    // Replace: a newer record drops the package it no longer names; an older one is skipped.
    b.upsert(record('GHSA-x-0002', '2024-03-01T00:00:00Z', [['npm', 'right-pad', '2.0.0']]), 'test');
    assert.equal(b.upsert(record('GHSA-x-0002', '2023-01-01T00:00:00Z', [['npm', 'left-pad', '9.9.9']]), 'test'), 'skipped');
    b.upsert(record('GHSA-x-0003', '2024-03-01T00:00:00Z', [['npm', 'left-pad', '1.0.0']], '2024-03-02T00:00:00Z'), 'test');
    b.commit();
    assert.deepEqual(rowsOf(file, 'Debian:12', 'openssl'), ['DSA-0001 OpenSSL <3.0.2-1']);
    assert.deepEqual(rowsOf(file, 'Debian:12', 'curl'), ['DSA-0001 curl <7.0-1']);
    assert.deepEqual(rowsOf(file, 'npm', 'left-pad'), [], 'replaced away, and the withdrawn record never reaches matching');
    assert.deepEqual(rowsOf(file, 'npm', 'right-pad'), ['GHSA-x-0002 right-pad <2.0.0']);

    // Every lookup row is in its advisory's JSON and every JSON row has a lookup row: nothing dangles.
    const db = new Database(file, { readonly: true });
    try {
      const lookupRows = (db.prepare('SELECT rowid AS row, rid FROM affected ORDER BY rowid').all() as { row: number; rid: number }[]).map((r) => `${r.row}:${r.rid}`);
      const jsonRows: string[] = [];
      for (const a of db.prepare('SELECT rid, affected FROM advisories').all() as { rid: number; affected: string }[]) {
        for (const [row] of JSON.parse(a.affected) as [number, unknown][]) jsonRows.push(`${row}:${a.rid}`);
      }
      assert.deepEqual(jsonRows.sort(), [...lookupRows].sort());
      assert.equal(lookupRows.length, 3, 'openssl (new), curl, right-pad');
      // The counts `db status` shows were stored by the build; they equal counting the file now.
      const live = db.prepare('SELECT COUNT(*) AS n, COUNT(withdrawn) AS w FROM advisories').get() as { n: number; w: number };
      const liveEcosystems = db.prepare('SELECT ecosystem, COUNT(DISTINCT rid) AS advisories FROM affected GROUP BY ecosystem ORDER BY ecosystem').all();
      const status = readDbStatus(file);
      assert.deepEqual({ advisories: status.advisories, withdrawn: status.withdrawn, ecosystems: status.ecosystems }, { advisories: live.n, withdrawn: live.w, ecosystems: liveEcosystems });
      assert.deepEqual(status.ecosystems, [{ ecosystem: 'Debian:12', advisories: 1 }, { ecosystem: 'npm', advisories: 1 }]);
      assert.equal(status.withdrawn, 1);
    } finally {
      db.close();
    }
  });

  test('the same records give the same snapshot id (row ids are assigned deterministically)', () => {
    const build = (name: string) => {
      const b = new IndexBuilder(path.join(tmp.dir, name));
      b.upsert(record('GHSA-y-0001', '2024-01-01T00:00:00Z', [['npm', 'a', '1.0.0'], ['npm', 'b', '2.0.0']]), 'test');
      b.upsert(record('GHSA-y-0002', '2024-01-01T00:00:00Z', [['PyPI', 'c', '3.0']]), 'test');
      return b.commit().snapshot;
    };
    assert.equal(build('s1.db'), build('s2.db'));
  });
});
