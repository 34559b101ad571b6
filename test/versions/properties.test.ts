/**
 * Order laws for every scheme on generated versions (fast-check, bounded runs): reflexivity,
 * antisymmetry, transitivity; and parse → format → parse round trips where a scheme has a
 * canonical form.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getScheme, SCHEME_IDS } from '../../src/versions/index.ts';
import type { VersionScheme } from '../../src/versions/types.ts';
import { formatDpkg, parseDpkg } from '../../src/versions/dpkg.ts';
import { formatPep440, parsePep440 } from '../../src/versions/pep440.ts';
import { formatGo, parseGo } from '../../src/versions/go.ts';
import { formatNuGet, parseNuGet } from '../../src/versions/nuget.ts';
import { formatMaven, parseMaven } from '../../src/versions/maven.ts';
import { formatGem, parseGem } from '../../src/versions/rubygems.ts';
import { composerPairs, dpkgPairs, mavenPairs, pairsOf, pep440Pairs, rpmPairs, rubygemsPairs, semverPairs } from './arbitraries.ts';

const RUNS = 400;
const pick = (xs: readonly string[]): fc.Arbitrary<string> => fc.constantFrom(...xs);
const N = pick(['0', '1', '2', '10', '01', '99999999999999999999']);

const ident = pick(['alpha', 'beta', 'rc', '1', '2', '10', 'x-y', 'A', '0']);
const semverCore = fc.tuple(N, N, N).map(([a, b, c]) => [a, b, c].map((x) => x.replace(/^0+(?=.)/, '')).join('.'));
const prerelease = fc.option(fc.array(ident, { minLength: 1, maxLength: 3 }).map((p) => `-${p.join('.')}`), { nil: '' });
const build = fc.option(fc.array(pick(['1', 'abc', 'incompatible', '001']), { minLength: 1, maxLength: 2 }).map((p) => `+${p.join('.')}`), { nil: '' });

const singles = (pairs: fc.Arbitrary<[string, string]>): fc.Arbitrary<string> => pairs.chain(([a, b]) => fc.constantFrom(a, b));

const VERSIONS: Record<string, fc.Arbitrary<string>> = {
  dpkg: singles(dpkgPairs),
  apk: singles(pairsOf(N, fc.oneof(N, pick(['.', '.', 'a', 'z', '_alpha', '_beta', '_pre', '_rc', '_p', '_git', '_cvs', '-r', '-r1', '_foo', 'A', '-x'])))),
  rpm: singles(rpmPairs),
  semver: singles(semverPairs),
  go: fc.tuple(pick(['', 'v']), semverCore, prerelease, build).map((p) => p.join('')),
  nuget: fc
    .tuple(fc.array(pick(['0', '1', '2', '01', '10', '2147483647']), { minLength: 1, maxLength: 4 }), prerelease, build)
    .map(([parts, pre, b]) => `${parts.join('.')}${pre}${b}`),
  pub: fc.tuple(semverCore, prerelease, fc.option(fc.array(pick(['1', '2', 'abc', '0x1f', '01']), { minLength: 1, maxLength: 2 }).map((p) => `+${p.join('.')}`), { nil: '' })).map((p) => p.join('')),
  pep440: singles(pep440Pairs),
  maven: singles(mavenPairs),
  rubygems: singles(rubygemsPairs),
  // version_compare is not even reflexive on `#` or a trailing separator (`1.#` < `1.#`,
  // `1.` < `1.`), and this scheme follows it there, so such strings are left out here.
  composer: singles(composerPairs).filter((v) => !v.includes('#') && !/[^A-Za-z0-9]$/.test(v)),
  cran: fc.array(N, { minLength: 1, maxLength: 4 }).chain((parts) => pick(['.', '-']).map((s) => parts.join(s))),
  hackage: fc.array(N, { minLength: 1, maxLength: 4 }).map((p) => p.join('.')),
  generic: singles(pairsOf(N, fc.oneof(N, pick(['.', '-', '+', 'a', 'rc', 'beta', '_', 'V', 'v'])))),
};

/**
 * ComparableVersion itself is not transitive: maven-artifact 3.8.7 prints `0 > 0-0m0`,
 * `0-0m0 > 0jre` and `0jre > 0`. Maven is held to reflexivity and antisymmetry only, and the cycle
 * is pinned below so the scheme keeps agreeing with the tool rather than "fixing" it.
 */
const NOT_TRANSITIVE = new Set(['maven']);

function cmpOrNull(scheme: VersionScheme, a: string, b: string): number | null {
  if (!scheme.isValid(a) || !scheme.isValid(b)) return null;
  return Math.sign(scheme.compare(a, b)) || 0;
}

describe('order laws', () => {
  test('every registered scheme has a generator', () => {
    assert.deepEqual([...SCHEME_IDS].sort(), Object.keys(VERSIONS).sort());
  });

  for (const id of SCHEME_IDS) {
    const arb = VERSIONS[id] as fc.Arbitrary<string>;
    const scheme = getScheme(id);
    test(`${id}: reflexive, antisymmetric, transitive`, () => {
      fc.assert(
        fc.property(arb, arb, arb, (a, b, c) => {
          for (const v of [a, b, c]) if (scheme.isValid(v)) assert.equal(scheme.compare(v, v), 0, `compare(${v}, ${v})`);
          const ab = cmpOrNull(scheme, a, b);
          const ba = cmpOrNull(scheme, b, a);
          if (ab !== null) assert.ok(ab + (ba as number) === 0, `antisymmetry ${a} ${b}: ${ab} vs ${ba}`);
          const bc = cmpOrNull(scheme, b, c);
          const ac = cmpOrNull(scheme, a, c);
          if (ab !== null && bc !== null && ac !== null && !NOT_TRANSITIVE.has(id)) {
            if (ab <= 0 && bc <= 0) assert.ok(ac <= 0, `${a} <= ${b} <= ${c} but ${a} > ${c}`);
            if (ab >= 0 && bc >= 0) assert.ok(ac >= 0, `${a} >= ${b} >= ${c} but ${a} < ${c}`);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  test('maven: keeps ComparableVersion 3.8.7\'s cycle 0 > 0-0m0 > 0jre > 0', () => {
    const maven = getScheme('maven');
    assert.ok(maven.compare('0', '0-0m0') > 0);
    assert.ok(maven.compare('0-0m0', '0jre') > 0);
    assert.ok(maven.compare('0jre', '0') > 0);
  });

  test('invalid versions throw InvalidVersionError naming the scheme and the version', () => {
    for (const [id, bad] of [['dpkg', '1:'], ['semver', '1.2'], ['pep440', 'foo'], ['nuget', '1.2.3.4.5'], ['go', 'v01.0.0'], ['rubygems', '1beta'], ['cran', '1.a'], ['maven', '1-'.repeat(2000)], ['rpm', ''], ['apk', '']] as const) {
      const scheme = getScheme(id);
      assert.equal(scheme.isValid(bad), false, `${id} ${bad}`);
      assert.throws(() => scheme.compare(bad, '1'), (err: Error) => err.name === 'InvalidVersionError' && err.message.includes(id) && err.message.includes(JSON.stringify(bad)));
    }
  });
});

describe('parse → format → parse round trips', () => {
  const roundTrip = <T>(name: string, arb: fc.Arbitrary<string>, valid: (v: string) => boolean, parse: (v: string) => T, format: (p: T) => string, scheme: VersionScheme): void => {
    test(name, () => {
      fc.assert(
        fc.property(arb, (v) => {
          if (!valid(v)) return;
          const text = format(parse(v));
          assert.equal(format(parse(text)), text, `format is a fixed point for ${v}`);
          assert.equal(scheme.compare(v, text), 0, `${v} = ${text}`);
        }),
        { numRuns: RUNS },
      );
    });
  };
  const s = getScheme;
  roundTrip('dpkg', VERSIONS.dpkg as fc.Arbitrary<string>, (v) => s('dpkg').isValid(v), parseDpkg, formatDpkg, s('dpkg'));
  roundTrip('pep440', VERSIONS.pep440 as fc.Arbitrary<string>, (v) => s('pep440').isValid(v), parsePep440, formatPep440, s('pep440'));
  roundTrip('go', VERSIONS.go as fc.Arbitrary<string>, (v) => s('go').isValid(v), parseGo, formatGo, s('go'));
  roundTrip('nuget', VERSIONS.nuget as fc.Arbitrary<string>, (v) => s('nuget').isValid(v), parseNuGet, formatNuGet, s('nuget'));
  roundTrip('maven', VERSIONS.maven as fc.Arbitrary<string>, (v) => s('maven').isValid(v), parseMaven, formatMaven, s('maven'));
  roundTrip('rubygems', VERSIONS.rubygems as fc.Arbitrary<string>, (v) => s('rubygems').isValid(v), parseGem, formatGem, s('rubygems'));
});
