import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { importAdvisories } from '../../src/vulndb/import.ts';
import { SCHEMA_VERSION, readDbStatus } from '../../src/vulndb/store.ts';
import { openAdvisoryIndex, matchPackages } from '../../src/matcher/index.ts';
import { PortwardenError } from '../../src/util/errors.ts';
import { osvRecord, pkg, tempDir } from './helpers.ts';

/**
 * Rewrites a current index into the schema-2 layout: each affected row's JSON in `affected.data`
 * instead of in its advisory's row, entries without the rid, schema_version 2.
 */
function downgradeToV2(file: string): void {
  const db = new Database(file);
  db.exec(`
    ALTER TABLE affected ADD COLUMN data TEXT NOT NULL DEFAULT '';
    UPDATE affected SET data = (
      SELECT json_extract(j.value, '$[1]') FROM advisories a, json_each(a.affected) j WHERE a.rid = affected.rid AND json_extract(j.value, '$[0]') = affected.rowid
    );
    ALTER TABLE advisories DROP COLUMN affected;
    DELETE FROM match_index;
    INSERT INTO match_index (ecosystem, name, entries)
      SELECT ecosystem, name, '[' || group_concat('[' || rowid || ',' || match || ']', ',' ORDER BY rowid) || ']' FROM affected GROUP BY ecosystem, name;
    UPDATE meta SET value = '2' WHERE key = 'schema_version';
  `);
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM affected WHERE data NOT LIKE '{%'").get() as { n: number }).n, 0, 'every row got its JSON back');
  db.close();
}

/**
 * Rewrites a current index into the schema-1 layout earlier builds wrote: no `match` column, no
 * `match_index`, the (ecosystem, name) index on `affected`, schema_version 1.
 */
function downgradeToV1(file: string): void {
  downgradeToV2(file);
  const db = new Database(file);
  db.exec(`
    DROP TABLE match_index;
    ALTER TABLE affected DROP COLUMN match;
    CREATE INDEX affected_lookup ON affected (ecosystem, name);
    UPDATE meta SET value = '1' WHERE key = 'schema_version';
  `);
  db.close();
}

function setSchemaVersion(file: string, version: string): void {
  const db = new Database(file);
  db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(version);
  db.close();
}

const schemaError = (file: string, why: RegExp) => (err: unknown) => {
  assert.ok(err instanceof PortwardenError, String(err));
  assert.equal(err.code, 'db_schema');
  assert.ok(err.message.includes(file), err.message);
  assert.match(err.message, why);
  assert.match(err.message, /re-run `portwarden db update` or `portwarden db import`/);
  return true;
};

describe('index schema versions', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const input = path.join(tmp.dir, 'in');
  mkdirSync(input);
  writeFileSync(path.join(input, 'a.json'), JSON.stringify(osvRecord('GHSA-aaaa-0001', 'npm', 'left-pad', [{ introduced: '0' }, { fixed: '1.3.0' }], { aliases: ['CVE-2024-0001'] })));
  writeFileSync(path.join(input, 'b.json'), JSON.stringify(osvRecord('PYSEC-2024-2', 'PyPI', 'Foo_Bar', [{ introduced: '1.0' }, { fixed: '1.10' }], { aliases: ['CVE-2024-0002'] })));

  test(`the current schema is ${SCHEMA_VERSION}`, async () => {
    const file = path.join(tmp.dir, 'current.db');
    await importAdvisories([input], { dbPath: file, replace: true });
    assert.equal(readDbStatus(file).schemaVersion, SCHEMA_VERSION);
  });

  test('an index from an older build is refused on open with what to run, and status says the same', async () => {
    const file = path.join(tmp.dir, 'old.db');
    await importAdvisories([input], { dbPath: file, replace: true });
    downgradeToV1(file);
    assert.throws(() => openAdvisoryIndex(file), schemaError(file, new RegExp(`built by an older Portwarden \\(index schema 1, this build reads ${SCHEMA_VERSION}\\)`)));
    assert.throws(() => readDbStatus(file), schemaError(file, /older Portwarden/));
  });

  test('an index from a newer build is refused on open', async () => {
    const file = path.join(tmp.dir, 'newer.db');
    await importAdvisories([input], { dbPath: file, replace: true });
    setSchemaVersion(file, String(SCHEMA_VERSION + 1));
    assert.throws(() => openAdvisoryIndex(file), schemaError(file, /built by a newer Portwarden/));
  });

  for (const [from, downgrade] of [[1, downgradeToV1], [2, downgradeToV2]] as const) test(`a merge import into a schema-${from} index upgrades it: earlier records kept and matched as before`, async () => {
    const current = path.join(tmp.dir, `reference-${from}.db`);
    await importAdvisories([input], { dbPath: current, replace: true });
    const file = path.join(tmp.dir, `upgrade-${from}`, 'advisories.db');
    mkdirSync(path.dirname(file));
    copyFileSync(current, file);
    downgrade(file);
    const extra = path.join(tmp.dir, 'c.json');
    writeFileSync(extra, JSON.stringify(osvRecord('GHSA-cccc-0003', 'npm', 'left-pad', [{ introduced: '1.0.0' }, { fixed: '1.2.5' }], { aliases: ['CVE-2024-0003'] })));
    await importAdvisories([extra], { dbPath: file });
    assert.equal(readDbStatus(file).schemaVersion, SCHEMA_VERSION);
    assert.equal(readDbStatus(file).advisories, 3, 'the two records of the old index and the new one');
    const packages = [pkg({ name: 'left-pad', version: '1.2.0', ecosystem: 'npm' }), pkg({ name: 'foo.bar', version: '1.5', ecosystem: 'PyPI', type: 'python' })];
    const index = openAdvisoryIndex(file);
    const reference = openAdvisoryIndex(current);
    try {
      const upgraded = matchPackages(packages, undefined, index).vulnerabilities;
      assert.deepEqual(upgraded.map((v) => v.id).sort(), ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']);
      const before = matchPackages(packages, undefined, reference).vulnerabilities;
      assert.deepEqual(upgraded.filter((v) => v.id !== 'CVE-2024-0003'), before, 'findings from the upgraded rows equal those of a fresh import');
    } finally {
      index.close();
      reference.close();
    }
    assert.deepEqual(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')), []);
  });

  test('stored event order is used only when this build sorted it (event_order fingerprint)', async () => {
    const file = path.join(tmp.dir, 'order.db');
    await importAdvisories([input], { dbPath: file, replace: true });
    const packages = [pkg({ name: 'left-pad', version: '1.2.0', ecosystem: 'npm' })];
    const ids = (f: string) => {
      const index = openAdvisoryIndex(f);
      try {
        return { trusted: index.storedOrderTrusted, ids: matchPackages(packages, undefined, index).vulnerabilities.map((v) => v.id) };
      } finally {
        index.close();
      }
    };
    assert.deepEqual(ids(file), { trusted: true, ids: ['CVE-2024-0001'] });
    // Simulate entries sorted by an older scheme implementation: the fix stored before `introduced: 0`.
    const db = new Database(file);
    const entries = (db.prepare("SELECT entries FROM match_index WHERE ecosystem = 'npm' AND name = 'left-pad'").get() as { entries: string }).entries;
    const swapped = entries.replace('0,"0",1,"1.3.0"', '1,"1.3.0",0,"0"');
    assert.notEqual(swapped, entries);
    db.prepare("UPDATE match_index SET entries = ? WHERE ecosystem = 'npm' AND name = 'left-pad'").run(swapped);
    db.close();
    assert.deepEqual(ids(file), { trusted: true, ids: [] }, 'a trusted order is relied upon (this is what the fingerprint guards)');
    const stale = new Database(file);
    stale.prepare("UPDATE meta SET value = 'built-by-other-code' WHERE key = 'event_order'").run();
    stale.close();
    assert.deepEqual(ids(file), { trusted: false, ids: ['CVE-2024-0001'] }, 'an untrusted order sends every row to the full evaluation');
  });

  for (const [what, content] of [['garbage', 'not a database at all\n'.repeat(300)], ['a SQLite file without an index', '']] as const) {
    test(`a merge import onto ${what} fails with what to run, and leaves no handle or temp file`, async () => {
      const file = path.join(tmp.dir, `not-index-${what.length}`, 'advisories.db');
      mkdirSync(path.dirname(file));
      if (content) writeFileSync(file, content);
      else {
        const db = new Database(file);
        db.exec('CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES (\'schema_version\', \'3\')');
        db.close();
      }
      const before = readFileSync(file);
      await assert.rejects(importAdvisories([input], { dbPath: file }), (err: unknown) => {
        assert.ok(err instanceof PortwardenError, String(err));
        assert.equal(err.code, 'db_schema');
        assert.match(err.message, /cannot build on advisory database .*advisories\.db: .*; rebuild it with `portwarden db import --replace`/);
        return true;
      });
      assert.deepEqual(readFileSync(file), before, 'the file is untouched');
      assert.deepEqual(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')), []);
      await importAdvisories([input], { dbPath: file, replace: true });
      assert.equal(readDbStatus(file).advisories, 2, '--replace then builds a fresh index over it');
    });
  }

  test('a merge import into an index of an unknown schema is refused and leaves it untouched', async () => {
    const file = path.join(tmp.dir, 'future', 'advisories.db');
    mkdirSync(path.dirname(file));
    await importAdvisories([input], { dbPath: file, replace: true });
    setSchemaVersion(file, '99');
    await assert.rejects(importAdvisories([input], { dbPath: file }), (err: unknown) => {
      assert.ok(err instanceof PortwardenError);
      assert.match(err.message, new RegExp(`index schema 99, this build writes ${SCHEMA_VERSION}; rebuild it with \`portwarden db import --replace\``));
      return true;
    });
    const db = new Database(file, { readonly: true });
    assert.equal((db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value, '99');
    db.close();
    assert.deepEqual(readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')), []);
  });
});
