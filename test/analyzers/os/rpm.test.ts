import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { rpmAnalyzer, parseRpmDb, parseSourceRpm, rpmEvr, detectRpmDbFormat } from '../../../src/analyzers/os/rpm/index.ts';
import { parseRpmHeader } from '../../../src/analyzers/os/rpm/header.ts';
import { haveSharedData, sharedData } from '../../helpers/shared-data.ts';
import { readTree, runAnalyzer } from './helpers.ts';

interface Expected {
  Name: string; Epoch: number | null; Version: string; Release: string; Arch: string; SourceRpm: string;
  Size: number; License: string; Vendor: string | null; Modularitylabel: string | null;
}

const CASES: Array<[string, string, 'sqlite' | 'bdb' | 'ndb']> = [
  ['go-rpmdb-cbl-mariner2-sqlite', 'var/lib/rpm/rpmdb.sqlite', 'sqlite'],
  ['go-rpmdb-sle15-bci-ndb', 'var/lib/rpm/Packages.db', 'ndb'],
  ['go-rpmdb-libuuid-bdb', 'var/lib/rpm/Packages', 'bdb'],
  ['syft-dive-bdb', 'var/lib/rpm/Packages', 'bdb'],
  ['scalibr-epoch-bdb', 'var/lib/rpm/Packages', 'bdb'],
];

describe('rpmdb fixtures (exact match)', () => {
  for (const [c, dbPath, format] of CASES) {
    test(`${c} (${format})`, async (t) => {
      if (!haveSharedData(t, 'pkgdb-fixtures/rpm', c)) return;
      const dir = sharedData('pkgdb-fixtures/rpm', c);
      const expected = (JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { packages: Expected[] }).packages;
      const content = readFileSync(path.join(dir, 'input', dbPath));
      assert.equal(detectRpmDbFormat(content), format);
      const parsed = parseRpmDb(content, dbPath);
      assert.deepEqual(parsed.warnings, []);
      const got = parsed.packages.map((p) => JSON.stringify([p.name, p.epoch ?? null, p.version, p.release, p.arch, p.sourceRpm, p.size, p.license, p.vendor, p.modularityLabel])).sort();
      const want = expected.map((e) => JSON.stringify([e.Name, e.Epoch, e.Version, e.Release, e.Arch, e.SourceRpm, e.Size, e.License, e.Vendor ?? '', e.Modularitylabel ?? ''])).sort();
      assert.deepEqual(got, want);

      const out = await runAnalyzer(rpmAnalyzer, readTree(path.join(dir, 'input')));
      assert.equal(out.packages?.length, expected.length);
      for (const p of out.packages ?? []) {
        assert.equal(p.type, 'rpm');
        assert.deepEqual(p.locations, [{ layer: 'sha256:test', path: dbPath }]);
        const e = expected.find((x) => x.Name === p.name && x.Arch === p.arch);
        assert.ok(e);
        assert.equal(p.version, rpmEvr(e.Epoch ?? undefined, e.Version, e.Release));
        assert.equal(p.epoch, e.Epoch ?? undefined);
        const src = parseSourceRpm(e.SourceRpm);
        assert.ok(src, e.SourceRpm);
        assert.deepEqual(p.source, { name: src.name, version: rpmEvr(e.Epoch ?? undefined, src.version, src.release) });
      }
    });
  }

  test('file lists: curl in CBL-Mariner owns its binary; dir/basename join has no leading slash', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite')) return;
    const r = parseRpmDb(readFileSync(sharedData('pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite/input/var/lib/rpm/rpmdb.sqlite')), 'db');
    const curl = r.packages.find((p) => p.name === 'curl');
    assert.ok(curl?.files.includes('usr/bin/curl'));
    assert.ok(r.packages.every((p) => p.files.every((f) => !f.startsWith('/'))));
  });

  test('epoch case: hello 1:0.0.1-rls', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/rpm/scalibr-epoch-bdb')) return;
    const r = parseRpmDb(readFileSync(sharedData('pkgdb-fixtures/rpm/scalibr-epoch-bdb/input/var/lib/rpm/Packages')), 'db');
    assert.equal(r.packages[0]?.epoch, 1);
    assert.equal(rpmEvr(r.packages[0]?.epoch, r.packages[0]?.version ?? '', r.packages[0]?.release ?? ''), '1:0.0.1-rls');
  });
});

describe('rpm helpers', () => {
  test('source rpm names', () => {
    assert.deepEqual(parseSourceRpm('openssl-3.0.7-24.el9.src.rpm'), { name: 'openssl', version: '3.0.7', release: '24.el9' });
    assert.deepEqual(parseSourceRpm('python3-pip-wheel-21.2.3-7.el9.nosrc.rpm'), { name: 'python3-pip-wheel', version: '21.2.3', release: '7.el9' });
    assert.equal(parseSourceRpm('garbage'), undefined);
    assert.equal(parseSourceRpm(''), undefined);
  });

  test('header with lying counts is rejected, not allocated', () => {
    const b = Buffer.alloc(8 + 16 + 8);
    b.writeUInt32BE(1, 0); b.writeUInt32BE(8, 4);
    b.writeUInt32BE(1117, 8); b.writeUInt32BE(8, 12); b.writeUInt32BE(0, 16); b.writeUInt32BE(0x7fffffff, 20);
    const h = parseRpmHeader(b);
    assert.throws(() => h.strings(1117), /cannot fit/);
    const big = Buffer.alloc(8); big.writeUInt32BE(0xffffffff, 0);
    assert.throws(() => parseRpmHeader(big), /tag count/);
  });

  test('not an rpmdb', () => {
    assert.throws(() => parseRpmDb(Buffer.from('hello world, definitely not a database'), 'var/lib/rpm/Packages'), /var\/lib\/rpm\/Packages: not an rpm database/);
  });

  test('stale BDB next to live sqlite in one directory: only sqlite counts', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite')) return;
    const files = new Map([
      ['var/lib/rpm/rpmdb.sqlite', readFileSync(sharedData('pkgdb-fixtures/rpm/go-rpmdb-cbl-mariner2-sqlite/input/var/lib/rpm/rpmdb.sqlite'))],
      ['var/lib/rpm/Packages', readFileSync(sharedData('pkgdb-fixtures/rpm/syft-dive-bdb/input/var/lib/rpm/Packages'))],
    ]);
    return runAnalyzer(rpmAnalyzer, files).then((out) => {
      assert.equal(out.packages?.length, 129);
      assert.ok(!out.packages?.some((p) => p.name === 'dive'));
      assert.match(out.warnings?.join('\n') ?? '', /Packages: ignored/);
    });
  });
});

describe('rpm robustness (fuzz)', () => {
  for (const [c, dbPath] of CASES) {
    test(`${c}: truncated and corrupted copies throw an Error or parse, never hang or crash`, (t) => {
      if (!haveSharedData(t, 'pkgdb-fixtures/rpm', c)) return;
      const real = readFileSync(sharedData('pkgdb-fixtures/rpm', c, 'input', dbPath));
      const isSqlite = dbPath.endsWith('.sqlite');
      fc.assert(fc.property(
        fc.nat(real.length),
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 64 }),
        (cut, flips) => {
          const b = Buffer.from(real.subarray(0, Math.max(cut, 0)));
          for (const [i, v] of flips) if (i < b.length) b[i] = v;
          try {
            const r = parseRpmDb(b, dbPath);
            assert.ok(r.packages.length <= 10_000);
          } catch (err) {
            assert.ok(err instanceof Error);
            assert.match(err.message, new RegExp(dbPath.replace(/\./g, '\\.')));
          }
        },
      ), { numRuns: isSqlite ? 40 : 150 });
    });
  }

  test('random bytes and random header blobs', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      try { parseRpmDb(Buffer.from(bytes), 'x'); } catch (err) { assert.ok(err instanceof Error); }
      try { parseRpmHeader(bytes).strings(1117); } catch (err) { assert.ok(err instanceof Error); }
    }), { numRuns: 300 });
  });
});

describe('rpm hostile structures', () => {
  test('BDB: two items sharing one overflow chain are rejected (no work/memory amplification)', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/rpm/syft-dive-bdb')) return;
    const real = readFileSync(sharedData('pkgdb-fixtures/rpm/syft-dive-bdb/input/var/lib/rpm/Packages'));
    const pageSize = real.readUInt32LE(20);
    // Find the hash page holding the off-page item and duplicate its key/value pair index entries.
    let patched: Buffer | undefined;
    for (let pg = 1; pg * pageSize < real.length; pg++) {
      const base = pg * pageSize;
      if (real[base + 25] !== 13 && real[base + 25] !== 2) continue;
      const entries = real.readUInt16LE(base + 20);
      if (entries < 2) continue;
      const b = Buffer.from(real);
      const keyOff = b.readUInt16LE(base + 26);
      const valOff = b.readUInt16LE(base + 28);
      if (b[base + valOff] !== 3) continue;
      b.writeUInt16LE(entries + 2, base + 20);
      b.writeUInt16LE(keyOff, base + 26 + entries * 2);
      b.writeUInt16LE(valOff, base + 28 + entries * 2);
      patched = b;
      break;
    }
    assert.ok(patched, 'fixture has an off-page item');
    assert.throws(() => parseRpmDb(patched, 'var/lib/rpm/Packages'), /used twice/);
  });

  test('NDB: slots repeating one blob are rejected', (t) => {
    if (!haveSharedData(t, 'pkgdb-fixtures/rpm/go-rpmdb-sle15-bci-ndb')) return;
    const b = Buffer.from(readFileSync(sharedData('pkgdb-fixtures/rpm/go-rpmdb-sle15-bci-ndb/input/var/lib/rpm/Packages.db')));
    const slotPages = b.readUInt32LE(12);
    // Point every free slot at the first package's blob.
    const first = b.subarray(32, 48);
    for (let o = 48; o + 16 <= slotPages * 4096; o += 16) if (b.readUInt32LE(o + 4) === 0) first.copy(b, o);
    assert.throws(() => parseRpmDb(b, 'Packages.db'), /more than the file/);
  });
});

/** Rewrites a little-endian Berkeley DB hash file as the big-endian file an s390x/ppc64 host writes. */
function byteSwapBdb(le: Buffer): Buffer {
  const b = Buffer.from(le);
  const sw32 = (o: number): void => { b.writeUInt32BE(le.readUInt32LE(o), o); };
  const sw16 = (o: number): void => { b.writeUInt16BE(le.readUInt16LE(o), o); };
  const pageSize = le.readUInt32LE(20);
  for (const o of [8, 12, 16, 20, 28, 32, 36, 40, 44, 48]) sw32(o);
  for (let pg = 1; (pg + 1) * pageSize <= le.length; pg++) {
    const base = pg * pageSize;
    for (const o of [8, 12, 16]) sw32(base + o);
    sw16(base + 20);
    sw16(base + 22);
    const type = le[base + 25];
    if (type === 13 || type === 2) {
      const entries = le.readUInt16LE(base + 20);
      for (let i = 0; i < entries; i++) {
        const off = le.readUInt16LE(base + 26 + i * 2);
        sw16(base + 26 + i * 2);
        if (le[base + off] === 3) { sw32(base + off + 4); sw32(base + off + 8); }
      }
    }
  }
  return b;
}

describe('rpm Berkeley DB byte order', () => {
  for (const c of ['go-rpmdb-libuuid-bdb', 'syft-dive-bdb', 'scalibr-epoch-bdb']) {
    test(`${c}: big-endian copy reads the same packages`, (t) => {
      if (!haveSharedData(t, 'pkgdb-fixtures/rpm', c)) return;
      const le = readFileSync(sharedData('pkgdb-fixtures/rpm', c, 'input/var/lib/rpm/Packages'));
      const be = byteSwapBdb(le);
      assert.notDeepEqual(be, le);
      assert.equal(be.readUInt32BE(12), 0x061561);
      const a = parseRpmDb(le, 'le').packages;
      const b = parseRpmDb(be, 'be').packages;
      assert.ok(a.length > 0);
      assert.deepEqual(b, a);
    });
  }
});
