import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describeRange, evaluateAffected, quickAffected, quickAffectedEntry } from '../../src/matcher/ranges.ts';
import type { AffectedInput, PackedSchemeChoice, SchemeChoice } from '../../src/matcher/ranges.ts';
import { getScheme, schemeForEcosystem } from '../../src/versions/index.ts';
import { OSV_SEMVER, encodeMatchEntry, sortTag } from '../../src/vulndb/match-entries.ts';

const semver: SchemeChoice = { ecosystem: getScheme('semver'), semver: getScheme('semver') };
const dpkg: SchemeChoice = { ecosystem: getScheme('dpkg'), semver: getScheme('semver') };
const pep440: SchemeChoice = { ecosystem: getScheme('pep440'), semver: getScheme('semver') };
const eco = (...events: Record<string, string>[]) => ({ ranges: [{ type: 'ECOSYSTEM', events }] });

describe('OSV range evaluation', () => {
  test('introduced/fixed: [introduced, fixed) is affected, the fix reported', () => {
    const entry = eco({ introduced: '1.0.0' }, { fixed: '1.2.3' });
    assert.equal(evaluateAffected('0.9.9', entry, semver).affected, false);
    assert.deepEqual([evaluateAffected('1.0.0', entry, semver).affected, evaluateAffected('1.0.0', entry, semver).fixed], [true, '1.2.3']);
    assert.equal(evaluateAffected('1.2.2', entry, semver).affected, true);
    assert.equal(evaluateAffected('1.2.3', entry, semver).affected, false);
    assert.equal(evaluateAffected('2.0.0', entry, semver).affected, false);
  });

  test('introduced "0" means every version, whatever the scheme says about "0"', () => {
    const entry = eco({ introduced: '0' }, { fixed: '1:1.0-1' });
    assert.equal(evaluateAffected('0:0.1-1', entry, dpkg).affected, true);
    assert.equal(evaluateAffected('2.0-1', entry, dpkg).affected, true, 'epoch 0 < epoch 1');
    assert.equal(evaluateAffected('1:1.0-1', entry, dpkg).affected, false);
  });

  test('last_affected is inclusive and offers no fix', () => {
    const entry = eco({ introduced: '0' }, { last_affected: '2.0.0' });
    const v = evaluateAffected('2.0.0', entry, semver);
    assert.deepEqual([v.affected, v.fixed], [true, null]);
    assert.equal(evaluateAffected('2.0.1', entry, semver).affected, false);
  });

  test('multiple introduced/fixed pairs in one range, given unsorted', () => {
    const entry = eco({ fixed: '1.20.3' }, { introduced: '1.20.0-0' }, { fixed: '1.19.8' }, { introduced: '0' });
    assert.deepEqual([evaluateAffected('1.19.5', entry, semver).affected, evaluateAffected('1.19.5', entry, semver).fixed], [true, '1.19.8']);
    assert.equal(evaluateAffected('1.19.8', entry, semver).affected, false);
    assert.equal(evaluateAffected('1.19.9', entry, semver).affected, false);
    assert.deepEqual([evaluateAffected('1.20.1', entry, semver).affected, evaluateAffected('1.20.1', entry, semver).fixed], [true, '1.20.3']);
    assert.equal(evaluateAffected('1.21.0', entry, semver).affected, false);
  });

  test('limit caps a range', () => {
    const entry = eco({ introduced: '0' }, { limit: '2.0.0' });
    assert.equal(evaluateAffected('1.5.0', entry, semver).affected, true);
    assert.equal(evaluateAffected('2.0.0', entry, semver).affected, false);
  });

  test('SEMVER ranges use SemVer ordering even in an ecosystem with another scheme', () => {
    const entry = { ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.10.0' }] }] };
    assert.equal(evaluateAffected('1.9.0', entry, pep440).affected, true);
    assert.deepEqual(evaluateAffected('1.9.0', entry, pep440).schemes, ['semver']);
  });

  test('explicit versions list matches exactly; the fix comes from the ranges', () => {
    const entry = { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '2.1' }] }], versions: ['1.0.post1', '2.0'] };
    const listed = evaluateAffected('1.0.post1', entry, pep440);
    assert.equal(listed.affected, true);
    assert.equal(listed.fixed, '2.1');
    assert.equal(evaluateAffected('1.0', entry, pep440).affected, false);
  });

  test('an unorderable installed version is reported as a problem, not a match or a crash', () => {
    const v = evaluateAffected('not a version!', eco({ introduced: '0' }, { fixed: '1.0.0' }), semver);
    assert.equal(v.affected, false);
    assert.equal(v.problems.length, 1);
  });

  test('comparisons record the decision with the scheme', () => {
    const v = evaluateAffected('1.1.1n-0+deb11u3', eco({ introduced: '0' }, { fixed: '1.1.1n-0+deb11u4' }), dpkg);
    assert.deepEqual(v.comparisons, ['1.1.1n-0+deb11u3 >= 0 (introduced, any version)', '1.1.1n-0+deb11u3 < 1.1.1n-0+deb11u4 (fixed, dpkg)']);
    assert.equal(describeRange([{ introduced: '0' }, { fixed: '1.2' }, { introduced: '2.0' }]), '>=0, <1.2 || >=2.0');
  });
});

/** One OSV event of any kind over `version`, `introduced: "0"` included. */
function osvEvent(version: fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    version.map((v) => ({ introduced: v })),
    version.map((v) => ({ fixed: v })),
    version.map((v) => ({ last_affected: v })),
    version.map((v) => ({ limit: v })),
    fc.constant({ introduced: '0' }),
  );
}

describe('range evaluation properties (semver)', () => {
  const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);
  const cmp = (a: string, b: string) => getScheme('semver').compare(a, b);

  test('inside [introduced, fixed) matches, outside does not, for random sorted versions', () => {
    fc.assert(
      fc.property(fc.uniqueArray(version, { minLength: 3, maxLength: 12 }), fc.nat(), fc.nat(), fc.nat(), (list, i, j, k) => {
        const sorted = [...list].sort(cmp);
        const lo = i % (sorted.length - 1);
        const hi = lo + 1 + (j % (sorted.length - 1 - lo));
        const introduced = sorted[lo] as string;
        const fixed = sorted[hi] as string;
        const probe = sorted[k % sorted.length] as string;
        const v = evaluateAffected(probe, eco({ fixed }, { introduced }), semver);
        const inside = cmp(probe, introduced) >= 0 && cmp(probe, fixed) < 0;
        assert.equal(v.affected, inside, `${probe} in [${introduced}, ${fixed})`);
        if (inside) assert.equal(v.fixed, fixed);
      }),
      { numRuns: 500 },
    );
  });

  test('the allocation-free pre-check agrees with the full evaluation', () => {
    const event = osvEvent(version);
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), fc.array(version, { maxLength: 3 }), version, (events, versions, probe) => {
        const entry = { ranges: [{ type: 'ECOSYSTEM', events: events as Record<string, string>[] }], versions };
        assert.equal(quickAffected(probe, entry, semver), evaluateAffected(probe, entry, semver).affected);
      }),
      { numRuns: 500 },
    );
  });

  test('a union of disjoint ranges matches iff one of the pairs contains the version', () => {
    fc.assert(
      fc.property(fc.uniqueArray(version, { minLength: 4, maxLength: 10 }), version, (list, probe) => {
        const sorted = [...list].sort(cmp);
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < sorted.length; i += 2) pairs.push([sorted[i] as string, sorted[i + 1] as string]);
        const events = pairs.flatMap(([a, b]): Record<string, string>[] => [{ introduced: a }, { fixed: b }]).reverse();
        const expected = pairs.some(([a, b]) => cmp(probe, a) >= 0 && cmp(probe, b) < 0);
        assert.equal(evaluateAffected(probe, eco(...events), semver).affected, expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pre-check on the compact index entries (vulndb/match-entries)', () => {
  // Versions valid in one scheme and not in another, so unorderable events and installed versions occur.
  const version = fc.oneof(
    fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4)).map(([a, b, c]) => `${a}.${b}.${c}`),
    fc.tuple(fc.nat(4), fc.nat(4)).map(([a, b]) => `${a}.${b}`),
    fc.tuple(fc.nat(4), fc.nat(4), fc.nat(3)).map(([a, b, c]) => `${a}.${b}-${c}`),
    fc.tuple(fc.nat(2), fc.nat(4), fc.nat(4)).map(([e, a, b]) => `${e}:${a}.${b}-1`),
    fc.nat(4).map((a) => `v${a}.1`),
    fc.constantFrom('0', '1.0.0-rc.1', '2.0.post1', 'not a version!', 'line\nbreak'),
  );
  const event = osvEvent(version);
  const range = fc.record({ type: fc.constantFrom('ECOSYSTEM', 'SEMVER', 'GIT', 'OTHER'), events: fc.array(event, { minLength: 1, maxLength: 6 }) });
  const entryArb = fc.record({ ranges: fc.array(range, { maxLength: 3 }), versions: fc.array(version, { maxLength: 4 }) }, { requiredKeys: [] });
  const ecosystems = ['npm', 'PyPI', 'Debian:12', 'Go', 'Maven', 'SomethingUnknown'];
  const choiceFor = (ecosystem: string): PackedSchemeChoice => {
    const scheme = schemeForEcosystem(ecosystem).scheme;
    return { ecosystem: scheme, semver: OSV_SEMVER, ecosystemTag: sortTag(scheme), semverTag: sortTag(OSV_SEMVER) };
  };
  const stored = (entry: AffectedInput, ecosystem: string, rowId = 7, rid = 3) => JSON.parse(`[${rowId},${rid},${encodeMatchEntry(entry, ecosystem)}]`) as unknown[];

  test('gives the verdict of the pre-check on the full row (and of the full evaluation) whenever it decides', () => {
    fc.assert(
      fc.property(entryArb, version, fc.nat(), fc.constantFrom(...ecosystems), (entry, random, pick, ecosystem) => {
        // Half the probes are one of the entry's own versions: boundaries are where walks go wrong.
        const own = [...(entry.ranges ?? []).flatMap((r) => r.events.map((e) => Object.values(e)[0] as string)), ...(entry.versions ?? [])];
        const probe = own.length && pick % 2 ? (own[pick % own.length] as string) : random;
        const choice = choiceFor(ecosystem);
        const packed = quickAffectedEntry(probe, stored(entry, ecosystem), choice);
        const full = evaluateAffected(probe, entry, choice);
        const reference = quickAffected(probe, entry, choice);
        if (packed === false) {
          assert.equal(reference, false, 'never skips a row the full pre-check keeps');
          assert.equal(full.affected, false);
          assert.deepEqual(full.problems, [], 'a skipped row would have reported no problem');
        } else if (packed === true) {
          assert.equal(full.affected, true);
        }
        // Without newlines in versions the stored entry decides exactly as the full row does.
        const plain = !probe.includes('\n') && !JSON.stringify(entry).includes('\\n');
        if (plain) assert.equal(packed, reference);
      }),
      { numRuns: 3000 },
    );
  });

  test('the row id and the rid come first and events are stored in evaluation order', () => {
    const entry = { ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1.10' }, { introduced: '1.2' }, { introduced: '0' }, { fixed: '1.1' }] }], versions: ['1.2.1'] };
    assert.deepEqual(stored(entry, 'PyPI', 42, 9), [42, 9, 1, 0, 'pep440', 4, 0, '0', 1, '1.1', 0, '1.2', 1, '1.10', '\n1.2.1\n']);
    assert.deepEqual(stored({ ranges: [{ type: 'SEMVER', events: [{ introduced: 'v1.2' }] }] }, 'Go'), [7, 3, 1, 1, 'osv-semver', 1, 0, 'v1.2', '']);
    assert.deepEqual(stored({ ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 'x!' }, { fixed: '1.0' }] }] }, 'PyPI'), [7, 3, 1, 0, '', 0, ''], 'unorderable: left to the full evaluation');
  });

  test('a scheme other than the one that sorted the stored events makes every row go to the full evaluation', () => {
    const entry = { ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }] };
    const custom: PackedSchemeChoice = { ...choiceFor('npm'), ecosystem: { ...getScheme('semver') }, ecosystemTag: sortTag({ ...getScheme('semver') }) };
    assert.equal(custom.ecosystemTag, undefined);
    assert.equal(quickAffectedEntry('3.0.0', stored(entry, 'npm'), custom), undefined);
    assert.equal(quickAffectedEntry('3.0.0', stored(entry, 'npm'), choiceFor('npm')), false);
    assert.equal(quickAffectedEntry('1.0.0', stored(entry, 'npm'), choiceFor('npm')), true);
  });
});
