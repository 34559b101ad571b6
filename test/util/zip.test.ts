import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import {
  InflateBudget, ZipFormatError, ZipLimitError, bufferSource, crc32, fileSource, listZipEntries, readZipDirectory, readZipEntry,
  zipEntryStream, type ByteSource, type ZipEntry,
} from '../../src/util/zip.ts';
import { buildZip, type BuildEntry } from './zip-builder.ts';

const text = (s: string): Uint8Array => strToU8(s);
const SAMPLE: BuildEntry[] = [
  { name: 'META-INF/MANIFEST.MF', data: text('Manifest-Version: 1.0\r\n'.repeat(20)) },
  { name: 'stored/ünïcode.txt', data: text('stored bytes'), method: 0 },
  { name: 'empty.txt', data: new Uint8Array(0) },
  { name: 'dir/', data: new Uint8Array(0), method: 0 },
];

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function withTempFile(t: { after(fn: () => void): void }, bytes: Uint8Array): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-zip-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.zip');
  writeFileSync(file, bytes);
  return file;
}

function entryNamed(entries: ZipEntry[], name: string): ZipEntry {
  const e = entries.find((x) => x.name === name);
  assert.ok(e, `no entry ${name}`);
  return e;
}

describe('zip reader: well-formed archives', () => {
  for (const zip64 of [false, true]) {
    for (const prefix of [undefined, text('#!/bin/sh\nexec java -jar "$0" "$@"\n')]) {
      test(`${zip64 ? 'Zip64' : 'plain'} archive${prefix ? ' behind a launch script' : ''}: buffer, file and stream read the same bytes`, async (t) => {
        const built = buildZip(SAMPLE, { zip64, ...(prefix ? { prefix } : {}) });
        const dir = readZipDirectory(built.bytes);
        assert.equal(dir.prefix, prefix?.length ?? 0);
        assert.deepEqual(dir.entries.map((e) => [e.name, e.size, e.localHeaderOffset]), SAMPLE.map((e, i) => [e.name, e.data.length, built.local[i]]));
        const file = fileSource(withTempFile(t, built.bytes));
        t.after(() => file.close());
        for (const [i, e] of dir.entries.entries()) {
          const want = Buffer.from((SAMPLE[i] as BuildEntry).data);
          assert.deepEqual(readZipEntry(built.bytes, e, 1 << 20), want);
          assert.deepEqual(readZipEntry(file, e, 1 << 20), want);
          assert.deepEqual(await collect(zipEntryStream(file, e, 1 << 20)), want);
        }
      });
    }
  }

  test('stored entries of a buffer are views, not copies', () => {
    const built = buildZip(SAMPLE);
    const e = entryNamed(listZipEntries(built.bytes), 'stored/ünïcode.txt');
    const view = readZipEntry(built.bytes, e, 100);
    assert.equal(view.buffer, built.bytes.buffer);
  });

  test('a record between the directory and the end record is not mistaken for a prefix', () => {
    const built = buildZip(SAMPLE);
    // A digital-signature record (header 0x05054b50, length, data) where APPNOTE allows one.
    const signature = Buffer.concat([Buffer.from([0x50, 0x4b, 0x05, 0x05, 4, 0]), Buffer.from('sig!')]);
    const bytes = Buffer.concat([built.bytes.subarray(0, built.eocd), signature, built.bytes.subarray(built.eocd)]);
    const dir = readZipDirectory(bytes);
    assert.equal(dir.prefix, 0);
    assert.deepEqual(dir.entries.map((e) => readZipEntry(bytes, e, 1 << 20).length), SAMPLE.map((e) => e.data.length));
  });

  test('archives written by fflate, and an empty one', () => {
    const z = zipSync({ 'a.json': text('{"id":"X"}'), 'b/c.json': [text('x'.repeat(5000)), { level: 9 }] });
    assert.deepEqual(listZipEntries(z).map((e) => readZipEntry(z, e, 1 << 20).toString()), ['{"id":"X"}', 'x'.repeat(5000)]);
    assert.deepEqual(listZipEntries(zipSync({})), []);
  });

  test('crc32: known value and continuation', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.from('56789'), crc32(Buffer.from('1234'))), 0xcbf43926);
  });
});

describe('zip reader: hostile archives', () => {
  test('bomb: honest declared size over the limit is refused before inflating', () => {
    const bomb = buildZip([{ name: 'zeros', data: new Uint8Array(32 << 20) }]).bytes;
    const [e] = listZipEntries(bomb);
    assert.ok(e && e.compressedSize < 64 * 1024);
    assert.throws(() => readZipEntry(bomb, e, 1 << 20), (err) => err instanceof ZipLimitError && /declared size 33554432 exceeds the limit of 1048576/.test(err.message));
  });

  test('bomb: a small declared size over a large stream stops at the declared size', async () => {
    const built = buildZip([{ name: 'zeros', data: new Uint8Array(32 << 20) }]);
    const bytes = Buffer.from(built.bytes);
    bytes.writeUInt32LE(1000, (built.central[0] as number) + 24);
    const [e] = listZipEntries(bytes);
    assert.ok(e);
    assert.throws(() => readZipEntry(bytes, e, 1 << 30), (err) => err instanceof ZipFormatError && /zeros: cannot inflate/.test(err.message));
    let delivered = 0;
    await assert.rejects(async () => {
      for await (const c of zipEntryStream(bytes, e, 1 << 30)) delivered += (c as Buffer).length;
    }, (err) => err instanceof ZipFormatError && /past its declared size of 1000/.test(err.message));
    // Nothing past the declaration reaches the consumer, let alone the 32 MiB.
    assert.ok(delivered <= 1000, `delivered ${delivered}`);
  });

  test('bomb: a budget shared by many reads stops the read that would exceed it', () => {
    const built = buildZip(Array.from({ length: 10 }, (_, i) => ({ name: `e${i}`, data: new Uint8Array(1000) })));
    const budget = new InflateBudget(3500);
    const entries = listZipEntries(built.bytes);
    let read = 0;
    assert.throws(() => {
      for (const e of entries) read += readZipEntry(built.bytes, e, 1 << 20, { budget }).length;
    }, (err) => err instanceof ZipLimitError && /more than 3500 bytes to inflate/.test(err.message));
    assert.equal(read, 3000);
    assert.ok(budget.used <= budget.limit);
  });

  test('overlapping entries (many directory entries over one stream) are refused', () => {
    const built = buildZip([{ name: 'a', data: new Uint8Array(5000) }, { name: 'b', data: text('b') }]);
    const same = Buffer.from(built.bytes);
    // b's directory entry points at a's local header.
    same.writeUInt32LE(0, (built.central[1] as number) + 42);
    assert.throws(() => listZipEntries(same), (err) => err instanceof ZipFormatError && /overlap/.test(err.message));
    // a's compressed size swallows b's header (the "quoted" overlap of non-recursive bombs).
    const swallow = Buffer.from(built.bytes);
    const aSize = swallow.readUInt32LE((built.central[0] as number) + 20);
    swallow.writeUInt32LE(aSize + 40, (built.central[0] as number) + 20);
    assert.throws(() => listZipEntries(swallow), (err) => err instanceof ZipFormatError && /a: data overlaps entry b/.test(err.message));
    // The last entry's data running into the central directory.
    const intoCd = Buffer.from(built.bytes);
    intoCd.writeUInt32LE(100, (built.central[1] as number) + 20);
    assert.throws(() => listZipEntries(intoCd), /b: data overlaps the central directory/);
  });

  test('bad CRC: whole read, stream and file source all refuse; verifyCrc: false skips the check', async () => {
    const built = buildZip(SAMPLE);
    const bytes = Buffer.from(built.bytes);
    bytes.writeUInt32LE(0xdeadbeef, (built.central[0] as number) + 16);
    const [e] = listZipEntries(bytes);
    assert.ok(e);
    assert.throws(() => readZipEntry(bytes, e, 1 << 20), /META-INF\/MANIFEST\.MF: CRC-32 mismatch/);
    await assert.rejects(collect(zipEntryStream(bytes, e, 1 << 20)), /CRC-32 mismatch/);
    assert.equal(readZipEntry(bytes, e, 1 << 20, { verifyCrc: false }).length, e.size);
    // A flipped byte in the stored data: same sizes, wrong CRC.
    const flipped = Buffer.from(built.bytes);
    const stored = entryNamed(listZipEntries(flipped), 'stored/ünïcode.txt');
    const at = stored.localHeaderOffset + 30 + Buffer.byteLength(stored.name) + 2;
    flipped[at] = (flipped[at] ?? 0) ^ 0x20;
    assert.throws(() => readZipEntry(flipped, stored, 100), /CRC-32 mismatch/);
  });

  test('truncated central directory: cut, short count, and a count that lies', () => {
    const built = buildZip(SAMPLE);
    const cdStart = built.central[0] as number;
    // The directory cut in the middle, end record kept.
    const cut = Buffer.concat([built.bytes.subarray(0, cdStart + 60), built.bytes.subarray(built.eocd)]);
    assert.throws(() => listZipEntries(cut), ZipFormatError);
    // The end record claims more entries than the directory holds.
    const more = Buffer.from(built.bytes);
    more.writeUInt16LE(SAMPLE.length + 1, built.eocd + 10);
    assert.throws(() => listZipEntries(more), /central directory (entry 4|claims)/);
    // Every truncation of the file is a ZipFormatError (never a RangeError).
    for (let n = 0; n < built.bytes.length; n++) {
      assert.throws(() => {
        for (const e of listZipEntries(built.bytes.subarray(0, n))) readZipEntry(built.bytes.subarray(0, n), e, 1 << 20);
      }, ZipFormatError, `cut at ${n}`);
    }
  });

  test('Zip64 with lying sizes, counts and offsets', () => {
    const built = buildZip(SAMPLE, { zip64: true });
    const extraAt = (i: number): number => (built.central[i] as number) + 46 + Buffer.byteLength((SAMPLE[i] as BuildEntry).name) + 4;
    // A 1 TiB declared size: refused by the limit before any read.
    const huge = Buffer.from(built.bytes);
    huge.writeBigUInt64LE(1n << 40n, extraAt(0));
    const [e] = listZipEntries(huge);
    assert.ok(e);
    assert.equal(e.size, 2 ** 40);
    assert.throws(() => readZipEntry(huge, e, 1 << 30), ZipLimitError);
    // A value JavaScript cannot hold exactly.
    const unsafe = Buffer.from(built.bytes);
    unsafe.writeBigUInt64LE(1n << 62n, extraAt(0) + 8);
    assert.throws(() => listZipEntries(unsafe), /Zip64 value \d+ out of range/);
    // A local header offset past the end of the file.
    const farOffset = Buffer.from(built.bytes);
    farOffset.writeBigUInt64LE(1n << 40n, extraAt(1) + 16);
    assert.throws(() => listZipEntries(farOffset), /overlap|outside/);
    const z = built.zip64Eocd as number;
    // Entry count that no directory of that size can hold.
    const count = Buffer.from(built.bytes);
    count.writeBigUInt64LE(1n << 40n, z + 32);
    assert.throws(() => listZipEntries(count), /claims 1099511627776 entries/);
    // Directory size larger than the file.
    const cdSize = Buffer.from(built.bytes);
    cdSize.writeBigUInt64LE(1n << 33n, z + 40);
    assert.throws(() => listZipEntries(cdSize), ZipFormatError);
    // Locator pointing nowhere, no record before it either.
    const locator = Buffer.from(built.bytes);
    locator.fill(0, z, z + 4);
    assert.throws(() => listZipEntries(locator), /Zip64 locator without a Zip64 end record/);
  });

  test('unsupported method and encrypted entries are named', () => {
    const built = buildZip([{ name: 'x', data: text('hello') }]);
    const lzma = Buffer.from(built.bytes);
    lzma.writeUInt16LE(14, (built.central[0] as number) + 10);
    assert.throws(() => readZipEntry(lzma, listZipEntries(lzma)[0] as ZipEntry, 100), /x: unsupported compression method 14/);
    const enc = Buffer.from(built.bytes);
    enc.writeUInt16LE(0x801, (built.central[0] as number) + 8);
    assert.throws(() => readZipEntry(enc, listZipEntries(enc)[0] as ZipEntry, 100), /x is encrypted/);
  });

  test('a file that shrinks under the reader is a truncation, not a short read', () => {
    const built = buildZip(SAMPLE);
    const real = bufferSource(built.bytes);
    const shrunk: ByteSource = { size: real.size, read: (o, n) => real.read(o, n).subarray(0, Math.max(0, Math.min(n, built.central[0] as number - o))) };
    assert.throws(() => listZipEntries(shrunk), /truncated archive: .* could not be read/);
  });
});

describe('zip reader: fuzz', () => {
  const seeds = [
    buildZip(SAMPLE).bytes,
    buildZip(SAMPLE, { zip64: true, prefix: text('#!/bin/sh\n') }).bytes,
    Buffer.from(zipSync({ 'a.jar': zipSync({ 'META-INF/MANIFEST.MF': text('Manifest-Version: 1.0\r\n') }), 'b.txt': [new Uint8Array(20000), { level: 9 }] })),
    buildZip([{ name: 'deflated', data: Buffer.from(deflateRawSync(Buffer.alloc(3000, 7))) }, { name: 'z', data: new Uint8Array(9000) }]).bytes,
  ];
  const MAX = 16 * 1024;
  const LIMIT = 24 * 1024;

  /** Reads everything it can; only ZipFormatError may escape; limits hold for what is returned. */
  function readAll(bytes: Uint8Array): void {
    const budget = new InflateBudget(LIMIT);
    let total = 0;
    let entries: ZipEntry[];
    try {
      entries = listZipEntries(bytes);
    } catch (err) {
      assert.ok(err instanceof ZipFormatError, `listing threw ${String(err)}`);
      return;
    }
    for (const e of entries) {
      try {
        const out = readZipEntry(bytes, e, MAX, { budget });
        assert.ok(out.length <= MAX);
        total += out.length;
      } catch (err) {
        assert.ok(err instanceof ZipFormatError, `reading ${e.name} threw ${String(err)}`);
      }
    }
    assert.ok(total <= LIMIT && budget.used <= LIMIT, `read ${total}, budget used ${budget.used}`);
  }

  test('random bytes, optionally framed by zip signatures', () => {
    fc.assert(fc.property(fc.boolean(), fc.uint8Array({ maxLength: 2048 }), (frame, rest) => {
      const bytes = frame ? Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), rest, Buffer.from([0x50, 0x4b, 0x05, 0x06]), rest.subarray(0, 18)]) : Buffer.from(rest);
      readAll(bytes);
    }), { numRuns: 500 });
  });

  test('mutated and truncated archives (Zip64, prefixed, nested, deflated)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      fc.option(fc.nat()),
      (which, flips, cut) => {
        const b = Buffer.from(seeds[which] as Buffer);
        for (const [at, v] of flips) b[at % b.length] = v;
        readAll(cut === null ? b : b.subarray(0, cut % (b.length + 1)));
      },
    ), { numRuns: 1500 });
  });

  test('mutated archives through the streaming reader', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      async (which, flips) => {
        const b = Buffer.from(seeds[which] as Buffer);
        for (const [at, v] of flips) b[at % b.length] = v;
        let entries: ZipEntry[] = [];
        try {
          entries = listZipEntries(b);
        } catch (err) {
          assert.ok(err instanceof ZipFormatError, String(err));
        }
        const budget = new InflateBudget(LIMIT);
        for (const e of entries) {
          let got = 0;
          try {
            for await (const c of zipEntryStream(b, e, MAX, { budget })) got += (c as Buffer).length;
          } catch (err) {
            assert.ok(err instanceof ZipFormatError, `streaming ${e.name} threw ${String(err)}`);
          }
          assert.ok(got <= Math.min(MAX, e.size), `streamed ${got} of ${e.name}`);
        }
        assert.ok(budget.used <= LIMIT);
      },
    ), { numRuns: 200 });
  });
});
