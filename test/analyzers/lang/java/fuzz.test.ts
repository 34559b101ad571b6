import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { JavaArchiveError, parseManifest, parseProperties, scanJavaArchive } from '../../../../src/analyzers/lang/java/index.ts';

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
});
