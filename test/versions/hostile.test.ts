/**
 * Hostile input: huge, repetitive and control-character strings must give a verdict or an
 * InvalidVersionError, never a crash, a hang (the runner's timeout would catch one) or unbounded
 * memory (parse caches are bounded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getScheme, SCHEME_IDS } from '../../src/versions/index.ts';
import { ParseCache } from '../../src/versions/util.ts';

const HUGE = [
  '1'.repeat(20_000),
  '1.'.repeat(10_000),
  '1-'.repeat(10_000),
  'a'.repeat(20_000),
  '~'.repeat(20_000),
  `1${'_p'.repeat(10_000)}`,
  `1.0${'-0'.repeat(10_000)}`,
  `1${'.0'.repeat(10_000)}!`,
  `1!${'0.'.repeat(10_000)}a`,
  `${'1a'.repeat(10_000)}`,
  `1.0+${'a.'.repeat(10_000)}`,
  '\0\u0001\u007f\ud800',
  ' \t\r ',
];

test('every scheme survives huge and odd strings', () => {
  for (const id of SCHEME_IDS) {
    const scheme = getScheme(id);
    for (const v of HUGE) {
      const valid = scheme.isValid(v);
      if (valid) {
        const r = scheme.compare(v, '1.0');
        assert.ok(Number.isFinite(r), `${id}: compare of a ${v.length}-char string`);
        assert.equal(scheme.compare(v, v) === 0 || id === 'composer' || id === 'maven', true, `${id}: reflexive on a ${v.length}-char string`);
      } else {
        assert.throws(() => scheme.compare(v, '1.0'), (err: Error) => err.name === 'InvalidVersionError', `${id}: ${v.slice(0, 20)}…`);
      }
    }
  }
});

test('arbitrary unicode strings never throw anything but InvalidVersionError', () => {
  const schemes = SCHEME_IDS.map((id) => getScheme(id));
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), (a, b) => {
      for (const scheme of schemes) {
        try {
          scheme.compare(a, b);
        } catch (err) {
          assert.equal((err as Error).name, 'InvalidVersionError', `${scheme.id}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${String(err)}`);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('the parse cache is bounded: old entries are evicted, recently used ones kept', () => {
  const parsed: string[] = [];
  const cache = new ParseCache<string>(10);
  const parse = (v: string): string => {
    parsed.push(v);
    return v.toUpperCase();
  };
  for (let i = 0; i < 100; i++) cache.get(`v${i}`, parse);
  assert.equal(parsed.length, 100);
  cache.get('v99', parse);
  cache.get('v95', parse);
  assert.equal(parsed.length, 100, 'recent entries are cached');
  cache.get('v0', parse);
  assert.equal(parsed.length, 101, 'old entries were evicted');
  assert.throws(() => cache.get('bad', () => { throw new Error('nope'); }), /nope/);
  assert.throws(() => cache.get('bad', () => 'never called'), /nope/, 'errors are cached too');
});
