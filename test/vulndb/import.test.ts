import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import Database from 'better-sqlite3';
import { importAdvisories } from '../../src/vulndb/import.ts';
import type { ImportSummary } from '../../src/vulndb/import.ts';
import { SCHEMA_VERSION, readDbStatus, openIndexDatabase } from '../../src/vulndb/store.ts';
import { openAdvisoryIndex, matchPackages } from '../../src/matcher/index.ts';
import { PortwardenError } from '../../src/util/errors.ts';
import { haveSharedData } from '../helpers/shared-data.ts';
import { importStaged, osvRecord, pkg, tempDir } from './helpers.ts';

describe('import of all staged advisory data', () => {
  const tmp = tempDir();
  let summary: ImportSummary | undefined;
  after(() => tmp.cleanup());

  test('imports every staged OSV and distro file; only genuinely invalid records are rejected', async (t) => {
    if (!haveSharedData(t, 'osv') || !haveSharedData(t, 'distro')) return;
    summary = await importStaged(tmp.dir);
    const rejected = summary.files.flatMap((f) => f.invalid.map((i) => `${path.basename(path.dirname(f.file))}/${path.basename(f.file)}: ${i.id ?? ''} ${i.reason}`));
    // The upstream data's own defects, each checked by hand: a package line whose "version" is a
    // package name (DSA-423), and Alpine secfixes entries that are prose, not ids.
    assert.equal(summary.invalid, rejected.length);
    for (const r of rejected) {
      assert.match(r, /DSA-423 .*bad version "kernel-image-2\.4\.17-ia64"|alpine|v3\.\d+\/\w+\.yaml/, r);
    }
    assert.ok(summary.invalid <= 10, rejected.join('\n'));
    const byName = new Map(summary.files.map((f) => [path.basename(f.file), f]));
    assert.equal(byName.get('go-vulndb.osv.jsonl.gz')?.records, 4291);
    assert.equal(byName.get('go-vulndb.osv.jsonl.gz')?.withdrawn, 17);
    assert.equal(byName.get('pypi-pypa.osv.jsonl.gz')?.records, 2661);
    assert.equal(byName.get('crates-rustsec.osv.jsonl.gz')?.records, 1206);
    assert.equal(byName.get('crates-rustsec.osv.jsonl.gz')?.invalidCount, 0);
    assert.equal(byName.get('debian.json')?.format, 'debian-tracker');
    assert.equal(byName.get('DSA.list')?.format, 'debian-dsa-list');
    assert.equal(byName.get('DLA.list')?.format, 'debian-dla-list');
    assert.equal(byName.get('PYSEC-2021-335.yaml')?.records, 1);
  });

  test('status reports schema, snapshot, sources and per-ecosystem counts', (t) => {
    if (!summary) return t.skip('import did not run');
    const status = readDbStatus(summary.path);
    assert.equal(status.schemaVersion, SCHEMA_VERSION);
    assert.equal(status.snapshot, summary.snapshot);
    assert.match(status.snapshot, /^[0-9a-f]{16}$/);
    assert.equal(status.sources.length, 2);
    const eco = new Map(status.ecosystems.map((e) => [e.ecosystem, e.advisories]));
    assert.ok((eco.get('Go') ?? 0) > 4000);
    assert.ok((eco.get('PyPI') ?? 0) > 2600);
    assert.ok((eco.get('Alpine:v3.10') ?? 0) > 1000);
    assert.ok((eco.get('Debian:11') ?? 0) > 300);
    assert.ok(eco.has('Ubuntu:18.04'), 'Ubuntu:18.04:LTS is stored under the image-side name Ubuntu:18.04');
    assert.ok(status.withdrawn >= 17 + 10 + 13);
  });

  test('a mapped handle and a read handle give the same findings', (t) => {
    if (!summary) return t.skip('import did not run');
    const inventory = [
      pkg({ name: 'django', version: '2.2.0', ecosystem: 'PyPI', type: 'python' }),
      pkg({ name: 'stdlib', version: 'go1.19.5', ecosystem: 'Go', type: 'go-stdlib' }),
      pkg({ name: 'golang.org/x/net', version: 'v0.0.0-20210226172049-e18ecbb05110', ecosystem: 'Go', type: 'go-module' }),
      pkg({ name: 'tokio', version: '0.2.0', ecosystem: 'crates.io', type: 'cargo' }),
    ];
    const mapped = openAdvisoryIndex(summary.path, { pages: 'mapped' });
    const read = openAdvisoryIndex(summary.path);
    try {
      assert.equal(mapped.pages, 'mapped', 'SQLite reports a mapping in force');
      assert.equal(read.pages, 'read', 'a one-scan handle maps nothing');
      const viaMap = matchPackages(inventory, undefined, mapped).vulnerabilities;
      assert.ok(viaMap.length > 50, `${viaMap.length} findings`);
      assert.deepEqual(matchPackages(inventory, undefined, read).vulnerabilities, viaMap);
    } finally {
      mapped.close();
      read.close();
    }
  });

  test('withdrawn records never match (RUSTSEC-2019-0031)', (t) => {
    if (!summary) return t.skip('import did not run');
    const index = openAdvisoryIndex(summary.path);
    try {
      assert.ok(index.ridsFor('RUSTSEC-2019-0031').length === 1, 'the withdrawn record is stored');
      const { vulnerabilities } = matchPackages([pkg({ name: 'spin', version: '0.5.0', ecosystem: 'crates.io', type: 'cargo' })], undefined, index);
      assert.ok(!vulnerabilities.some((v) => v.id === 'RUSTSEC-2019-0031' || v.aliases.includes('RUSTSEC-2019-0031')));
    } finally {
      index.close();
    }
  });
});

describe('import formats', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  const db = () => path.join(tmp.dir, 'db', 'advisories.db');
  const rec = (id: string, fixed: string, modified = '2024-01-01T00:00:00Z') =>
    osvRecord(id, 'npm', 'left-pad', [{ introduced: '0' }, { fixed }], { modified, aliases: [`CVE-2024-${id.slice(-4)}`] });

  before(() => {
    mkdirSync(path.join(tmp.dir, 'in', 'nested'), { recursive: true });
    writeFileSync(path.join(tmp.dir, 'in', 'a.json'), JSON.stringify(rec('GHSA-aaaa-0001', '1.0.0')));
    writeFileSync(path.join(tmp.dir, 'in', 'nested', 'b.yaml'), 'id: PYSEC-2024-1\nmodified: "2024-02-02T00:00:00Z"\naffected:\n  - package: {ecosystem: PyPI, name: Foo_Bar}\n    ranges:\n      - type: ECOSYSTEM\n        events: [{introduced: "0"}, {fixed: "1.10"}]\n');
    writeFileSync(path.join(tmp.dir, 'in', 'broken.json'), '{"id": "X-1", "modified": ');
    writeFileSync(path.join(tmp.dir, 'in', 'README.md'), 'not an advisory');
  });

  test('directory import: JSON, YAML (versions stay strings), broken files reported, README skipped', async () => {
    const s = await importAdvisories([path.join(tmp.dir, 'in')], { dbPath: db(), replace: true });
    assert.equal(s.records, 2);
    assert.equal(s.invalid, 1);
    const broken = s.files.find((f) => f.file.endsWith('broken.json'));
    assert.match(broken?.invalid[0]?.reason ?? '', /cannot parse JSON/);
    const index = openAdvisoryIndex(db());
    try {
      const rows = index.lookup('PyPI', ['foo.bar']).get('foo.bar');
      assert.equal(rows?.length, 1, 'PEP 503 normalisation on both sides');
      assert.deepEqual(rows?.[0]?.data.ranges?.[0]?.events, [{ introduced: '0' }, { fixed: '1.10' }]);
    } finally {
      index.close();
    }
  });

  test('zip (OSV.dev all.zip), jsonl and jsonl.gz; merge keeps earlier records, newer modified wins', async () => {
    const zip = zipSync({
      'GHSA-aaaa-0002.json': strToU8(JSON.stringify(rec('GHSA-aaaa-0002', '2.0.0'))),
      'GHSA-aaaa-0001.json': strToU8(JSON.stringify(rec('GHSA-aaaa-0001', '1.5.0', '2025-01-01T00:00:00Z'))),
      'bad.json': strToU8('{"id": 5}'),
    });
    writeFileSync(path.join(tmp.dir, 'all.zip'), zip);
    writeFileSync(path.join(tmp.dir, 'x.jsonl'), `${JSON.stringify(rec('GHSA-aaaa-0003', '3.0.0'))}\n\nnot json\n`);
    writeFileSync(path.join(tmp.dir, 'y.jsonl.gz'), gzipSync(`${JSON.stringify(rec('GHSA-aaaa-0004', '4.0.0'))}\n`));
    const s = await importAdvisories([path.join(tmp.dir, 'all.zip'), path.join(tmp.dir, 'x.jsonl'), path.join(tmp.dir, 'y.jsonl.gz')], { dbPath: db() });
    assert.equal(s.records, 4);
    assert.equal(s.invalid, 2);
    const status = readDbStatus(db());
    assert.equal(status.advisories, 5, 'merged with the 2 records of the previous import');
    const index = openAdvisoryIndex(db());
    try {
      const { vulnerabilities } = matchPackages([pkg({ name: 'left-pad', version: '1.2.0', ecosystem: 'npm' })], undefined, index);
      const ids = vulnerabilities.map((v) => v.id).sort();
      assert.deepEqual(ids, ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004']);
      assert.equal(vulnerabilities.find((v) => v.id === 'CVE-2024-0001')?.fixed_version, '1.5.0', 'the newer record replaced the older');
      const again = matchPackages([pkg({ name: 'left-pad', version: '1.2.0', ecosystem: 'npm' })], undefined, index);
      assert.deepEqual(again.vulnerabilities.map((v) => v.id).sort(), ids);
    } finally {
      index.close();
    }
  });

  test('a corrupt zip is reported per file and the import goes on', async () => {
    const good = zipSync({ 'GHSA-aaaa-0009.json': strToU8(JSON.stringify(rec('GHSA-aaaa-0009', '9.0.0'))) }, { level: 6 });
    const corrupt = Buffer.from(good);
    const mid = 30 + 'GHSA-aaaa-0009.json'.length + 3; // inside the deflate stream
    corrupt[mid] = (corrupt[mid] ?? 0) ^ 0xff;
    writeFileSync(path.join(tmp.dir, 'corrupt.zip'), corrupt);
    writeFileSync(path.join(tmp.dir, 'truncated.zip'), good.subarray(0, good.length - 30));
    writeFileSync(path.join(tmp.dir, 'ok.json'), JSON.stringify(rec('GHSA-aaaa-0010', '1.0.0')));
    const s = await importAdvisories([path.join(tmp.dir, 'corrupt.zip'), path.join(tmp.dir, 'truncated.zip'), path.join(tmp.dir, 'ok.json')], { dbPath: db() });
    const byFile = new Map(s.files.map((f) => [path.basename(f.file), f]));
    assert.equal(byFile.get('corrupt.zip')?.invalidCount, 1);
    assert.match(byFile.get('corrupt.zip')?.invalid[0]?.reason ?? '', /CRC|inflate|size/);
    assert.equal(byFile.get('truncated.zip')?.invalidCount, 1);
    assert.match(byFile.get('truncated.zip')?.invalid[0]?.reason ?? '', /corrupt zip/);
    assert.equal(byFile.get('ok.json')?.records, 1);
  });

  test('--replace starts from an empty index; a reader that opened the old file keeps a valid view', async () => {
    const reader = new Database(db(), { readonly: true });
    const before = reader.prepare('SELECT COUNT(*) AS n FROM advisories').get() as { n: number };
    await importAdvisories([path.join(tmp.dir, 'in', 'a.json')], { dbPath: db(), replace: true });
    const still = reader.prepare('SELECT COUNT(*) AS n FROM advisories').get() as { n: number };
    assert.equal(still.n, before.n, 'the old inode is untouched by the swap');
    reader.close();
    assert.equal(readDbStatus(db()).advisories, 1);
    assert.deepEqual(readdirSync(path.dirname(db())).filter((f) => f.endsWith('.tmp')), [], 'no temp files left behind');
  });

  test('missing database: a clear error that says what to run', () => {
    const missing = path.join(tmp.dir, 'nope', 'advisories.db');
    assert.throws(() => openAdvisoryIndex(missing), (err: unknown) => {
      assert.ok(err instanceof PortwardenError);
      assert.equal(err.message, `no advisory database at ${missing}; run \`portwarden db update\` or \`portwarden db import\``);
      return true;
    });
    assert.equal(existsSync(missing), false);
  });

  test('a file that is not an index is refused with its path', () => {
    const bogus = path.join(tmp.dir, 'bogus.db');
    writeFileSync(bogus, 'not sqlite at all, just text padding '.repeat(200));
    assert.throws(() => openIndexDatabase(bogus), /bogus\.db/);
  });

  test('a missing input path is a user error', async () => {
    await assert.rejects(importAdvisories([path.join(tmp.dir, 'does-not-exist.json')], { dbPath: db() }), /no such file or directory/);
  });
});
