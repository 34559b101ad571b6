import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCargoLock, parseCargoManifestDeps } from '../../../../src/analyzers/lang/rust/index.ts';

describe('fuzz: Cargo parsers', () => {
  test('Cargo.lock: any text gives packages or an Error naming the file', () => {
    const line = fc.constantFrom('[[package]]', 'name = "a"', 'version = "1.0.0"', 'source = "registry+x"', 'dependencies = [', ' "a 1.0.0",', ']',
      '[metadata]', 'version = 3', '"checksum a" = "x"', 'name = 1', '[package]', '');
    fc.assert(fc.property(fc.array(line, { maxLength: 40 }), fc.string({ maxLength: 20 }), (lines, noise) => {
      try {
        const lock = parseCargoLock(lines.join('\n') + noise, 'fz/Cargo.lock');
        for (const p of lock.packages) assert.ok(typeof p.name === 'string' && typeof p.version === 'string');
      } catch (err) {
        assert.ok(err instanceof Error);
        assert.match(err.message, /^fz\/Cargo\.lock: /);
      }
      parseCargoManifestDeps(lines.join('\n') + noise);
    }), { numRuns: 300 });
  });
});
