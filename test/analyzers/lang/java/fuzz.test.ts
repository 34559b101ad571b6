import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import {
  JavaArchiveError, coordinatesNameArchive, parseArchiveFileName, parseManifest, parseProperties, scanJavaArchive,
} from '../../../../src/analyzers/lang/java/index.ts';

/** Damaged archives may be refused, but only with the analyzer's own error (never a RangeError from a bad offset). */
function tolerant(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof JavaArchiveError, `not a JavaArchiveError: ${String(err)}`);
  }
}

const inner = zipSync({
  'META-INF/maven/g/a/pom.properties': strToU8('groupId=g\nartifactId=a\nversion=1.0\n'),
  'META-INF/MANIFEST.MF': strToU8('Manifest-Version: 1.0\r\nImplementation-Vendor-Id: g\r\n\r\n'),
});
const seeds = [
  inner,
  zipSync({ 'WEB-INF/lib/a-1.0.jar': inner, 'WEB-INF/lib/b-2.0.jar': [inner, { level: 0 }], 'x/Y.class': new Uint8Array(64) }),
];

describe('fuzz: zip walker', () => {
  test('random bytes, optionally behind a zip signature', () => {
    fc.assert(fc.property(fc.boolean(), fc.uint8Array({ maxLength: 4096 }), (sig, rest) => {
      const bytes = sig ? new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...rest, 0x50, 0x4b, 0x05, 0x06, ...rest.slice(0, 18)]) : rest;
      tolerant(() => scanJavaArchive(bytes, 'fuzz.jar'));
    }), { numRuns: 300 });
  });

  test('mutated and truncated archives, nested ones included', () => {
    fc.assert(fc.property(
      fc.constantFrom(0, 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 10 }),
      fc.option(fc.nat()),
      (which, flips, cut) => {
        const b = Uint8Array.from(seeds[which] as Uint8Array);
        for (const [at, v] of flips) b[at % b.length] = v;
        const input = cut === null ? b : b.subarray(0, cut % (b.length + 1));
        tolerant(() => {
          const { artifacts } = scanJavaArchive(input, 'fuzz.war');
          // Whatever survives is well-formed.
          for (const a of artifacts) assert.ok(a.artifactId.length > 0 && a.version.length > 0);
        });
      },
    ), { numRuns: 300 });
  });

  test('properties and manifest parsers accept any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 500 }), (s) => {
      parseProperties(s);
      parseManifest(s);
    }), { numRuns: 300 });
  });

  test('file names: any name splits back into itself or not at all', () => {
    // Stems that hold no directory and end in no extension of their own.
    const stem = fc.string({ maxLength: 60 }).filter((s) => !s.includes('/') && !/\.[A-Za-z]{3}$/.test(s));
    fc.assert(fc.property(stem, fc.constantFrom('.jar', '.war', '.hpi', ''), (stem, ext) => {
      const parsed = parseArchiveFileName(`dir/${stem}${ext}`);
      if (parsed === undefined) return;
      assert.equal(`${parsed.artifactId}-${parsed.version}`, stem);
      assert.ok(parsed.artifactId.length > 0 && /^\d/.test(parsed.version));
    }), { numRuns: 500 });
  });

  test('file names: Maven-style <artifactId>-<version> round-trips', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9_.]{0,6}$/);
    const artifactId = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join('-'));
    const version = fc.tuple(
      fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 4 }).map((n) => n.join('.')),
      fc.constantFrom('', '-SNAPSHOT', '-jre', '.Final', '-rc1', '-beta'),
      fc.constantFrom('', '-1', '-12'),
    ).map(([n, q, b]) => `${n}${q}${b}`);
    fc.assert(fc.property(artifactId, version, (a, v) => {
      assert.deepEqual(parseArchiveFileName(`${a}-${v}.jar`), { artifactId: a, version: v });
      assert.equal(coordinatesNameArchive(a, v, `${a}-${v}.jar`), true);
      assert.equal(coordinatesNameArchive(a, v, `${a}.jar`), true);
    }), { numRuns: 500 });
  });

  test('coordinatesNameArchive accepts any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.option(fc.string({ maxLength: 10 }), { nil: undefined }), fc.string({ maxLength: 40 }), (a, v, f) => {
      assert.equal(typeof coordinatesNameArchive(a, v, f), 'boolean');
    }), { numRuns: 300 });
  });
});
