import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { elfWithPointerBuildInfo } from './synthetic-elf.ts';
import { goBinaryAnalyzer, parseGoMod, parseModinfo, readGoBuildInfo } from '../../../../src/analyzers/lang/golang/index.ts';
import { readAuditableData } from '../../../../src/analyzers/lang/rust/index.ts';
import { parseExecutable } from '../../../../src/analyzers/binary/exe.ts';
import type { FileMeta } from '../../../../src/image/types.ts';

const meta: FileMeta = { path: 'bin/x', type: 'file', size: 1, mode: 0o755, layerIndex: 0, layerDigest: '' };

const MODINFO = 'path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.7\th1:abc=\n';

describe('pointer-format build info in hand-made ELF files', () => {
  for (const [is64, bigEndian] of [[false, true], [false, false], [true, true], [true, false]] as const) {
    test(`${is64 ? 64 : 32}-bit ${bigEndian ? 'big' : 'little'}-endian`, () => {
      const elf = elfWithPointerBuildInfo({ is64, bigEndian, goVersion: 'go1.16.15', modinfo: MODINFO });
      const exe = parseExecutable(elf);
      assert.equal(exe.pointerSize, is64 ? 8 : 4);
      assert.equal(exe.littleEndian, !bigEndian);
      assert.deepEqual(readGoBuildInfo(elf), { goVersion: 'go1.16.15', modinfo: MODINFO });
      const info = parseModinfo('go1.16.15', MODINFO);
      assert.deepEqual(info.deps.map((d) => [d.path, d.version, d.sum]), [['golang.org/x/text', 'v0.3.7', 'h1:abc=']]);
    });
  }
});

describe('damaged files', () => {
  test('malformed headers are skipped quietly; corrupt build info behind a valid header is an error naming the file', async () => {
    const elf = elfWithPointerBuildInfo({ is64: false, bigEndian: true, goVersion: 'go1.16.15', modinfo: MODINFO });
    assert.equal(await goBinaryAnalyzer.analyze({ path: 'bin/cut', content: elf.subarray(0, 60), meta }), undefined);
    const corrupt = Buffer.from(elf);
    // The modinfo string header's length word (32-bit big-endian layout of synthetic-elf.ts).
    corrupt.writeUInt32BE(0x7fffffff, 0x100 + 32 + 8 + 4);
    await assert.rejects(async () => goBinaryAnalyzer.analyze({ path: 'bin/bad', content: corrupt, meta }), /^Error: bin\/bad: Go build info: string length 2147483647 out of range/);
  });
});

/** Everything a reader may do with hostile bytes: return, or throw an Error. */
function tolerant(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error, `non-Error thrown: ${String(err)}`);
  }
}

function readers(bytes: Buffer): void {
  tolerant(() => parseExecutable(bytes));
  tolerant(() => readGoBuildInfo(bytes));
  tolerant(() => readAuditableData(bytes));
  tolerant(() => goBinaryAnalyzer.analyze({ path: 'bin/x', content: bytes, meta }));
}

describe('fuzz: executable readers never crash or hang on hostile input', () => {
  const magics = [
    [0x7f, 0x45, 0x4c, 0x46, 1, 1], [0x7f, 0x45, 0x4c, 0x46, 2, 2], [0x7f, 0x45, 0x4c, 0x46, 2, 1],
    [0x4d, 0x5a], [0xcf, 0xfa, 0xed, 0xfe], [0xfe, 0xed, 0xfa, 0xce], [0xce, 0xfa, 0xed, 0xfe],
    [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2], [0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1],
  ];

  test('random bytes behind each magic', () => {
    fc.assert(fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2048 }), (magic, rest) => {
      readers(Buffer.concat([Buffer.from(magic), Buffer.from(rest)]));
    }), { numRuns: 400 });
  });

  const seeds: Buffer[] = [
    elfWithPointerBuildInfo({ is64: false, bigEndian: true, goVersion: 'go1.16.15', modinfo: MODINFO }),
    elfWithPointerBuildInfo({ is64: true, bigEndian: false, goVersion: 'go1.16.15', modinfo: MODINFO }),
  ];

  test('mutated and truncated executables', () => {
    fc.assert(fc.property(
      fc.constantFrom(...seeds.keys()),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      fc.option(fc.nat()),
      (which, flips, cut) => {
        const seed = seeds[which] as Buffer;
        const b = Buffer.from(seed);
        for (const [at, v] of flips) b[at % b.length] = v;
        readers(cut === null ? b : b.subarray(0, cut % (b.length + 1)));
      },
    ), { numRuns: 400 });
  });

  test('mutations of a real system binary (headers only region)', (t) => {
    if (!existsSync('/bin/true')) { t.skip('no /bin/true'); return; }
    const seed = readFileSync('/bin/true');
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
      const b = Buffer.from(seed);
      // ELF header and program headers live in the first 256 bytes; section headers at the end.
      for (const [at, v] of flips) b[at] = v;
      for (const [at, v] of flips) b[b.length - 1 - at] = v;
      readers(b);
    }), { numRuns: 200 });
  });
});

describe('fuzz: go.mod and module info parsers', () => {
  test('arbitrary text never throws', () => {
    const line = fc.array(fc.constantFrom('require', 'replace', '(', ')', '=>', 'module', 'go', '//', 'indirect', '"a b"', 'example.com/m', 'v1.0.0', '\t', ' ', '`x`'), { maxLength: 8 }).map((w) => w.join(' '));
    fc.assert(fc.property(fc.array(line, { maxLength: 30 }), fc.string(), (lines, noise) => {
      parseGoMod(lines.join('\n') + noise);
      parseModinfo('go1.20', lines.join('\n').replaceAll(' ', '\t') + noise);
    }), { numRuns: 300 });
  });
});
