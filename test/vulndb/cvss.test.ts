import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CvssVectorError, scoreCvss, severityFromScore, tryScoreCvss } from '../../src/vulndb/cvss.ts';

describe('CVSS v3.x base score', () => {
  const cases: [string, number][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0], // CVE-2021-44228 (NVD)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5], // CVE-2014-0160 (NVD)
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:H', 6.6], // CVE-2021-3782 (NVD)
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1], // FIRST v3.0 examples: reflected XSS
    ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8], // FIRST v3.1 examples: local file opened by user
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C', 9.8], // temporal metrics do not change the base
  ];
  for (const [vector, expected] of cases) {
    test(`${vector} → ${expected}`, () => {
      assert.equal(scoreCvss(vector).score, expected);
    });
  }

  test('severity bands follow the FIRST qualitative scale', () => {
    assert.equal(scoreCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H').severity, 'CRITICAL');
    assert.equal(severityFromScore(7.0), 'HIGH');
    assert.equal(severityFromScore(6.9), 'MEDIUM');
    assert.equal(severityFromScore(3.9), 'LOW');
    assert.equal(severityFromScore(0), 'UNKNOWN');
    assert.equal(severityFromScore(7.5, '2.0'), 'HIGH');
  });

  test('rejects malformed vectors with a clear error', () => {
    for (const bad of [
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', // missing A
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1',
      'CVSS:9.9/AV:N',
      '',
    ]) {
      assert.throws(() => scoreCvss(bad), CvssVectorError, bad);
      assert.equal(tryScoreCvss(bad), undefined);
    }
  });
});

describe('CVSS v2.0 base score', () => {
  for (const [vector, expected] of [
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10.0],
    ['AV:L/AC:L/Au:N/C:N/I:N/A:N', 0],
  ] as const) {
    test(`${vector} → ${expected}`, () => assert.equal(scoreCvss(vector).score, expected));
  }
});

describe('CVSS v4.0 base score', () => {
  // FIRST CVSS v4.0 calculator / specification examples.
  const cases: [string, number][] = [
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N', 8.7],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.1],
    ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5], // CVE-2022-41741 example
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
  ];
  for (const [vector, expected] of cases) {
    test(`${vector} → ${expected}`, () => {
      const s = scoreCvss(vector, 'nvd');
      assert.equal(s.score, expected);
      assert.equal(s.version, '4.0');
      assert.equal(s.source, 'nvd');
    });
  }
  test('rejects a truncated v4 vector', () => {
    assert.throws(() => scoreCvss('CVSS:4.0/AV:N/AC:L'), CvssVectorError);
  });
});

describe('CVSS parser fuzzing', () => {
  const v3Metrics: [string, string[]][] = [
    ['AV', ['N', 'A', 'L', 'P']], ['AC', ['L', 'H']], ['PR', ['N', 'L', 'H']], ['UI', ['N', 'R']],
    ['S', ['U', 'C']], ['C', ['H', 'L', 'N']], ['I', ['H', 'L', 'N']], ['A', ['H', 'L', 'N']],
  ];
  test('every valid v3.1 vector scores within [0, 10] with one decimal', () => {
    fc.assert(
      fc.property(fc.tuple(...v3Metrics.map(([, values]) => fc.constantFrom(...values))), (values) => {
        const vector = 'CVSS:3.1/' + v3Metrics.map(([k], i) => `${k}:${values[i]}`).join('/');
        const { score } = scoreCvss(vector);
        assert.ok(score >= 0 && score <= 10);
        assert.equal(Math.round(score * 10) / 10, score);
      }),
      { numRuns: 300 },
    );
  });
  test('arbitrary strings either score or throw CvssVectorError, never anything else', () => {
    const prefix = fc.constantFrom('CVSS:3.1/', 'CVSS:3.0/', 'CVSS:4.0/', 'AV:', '');
    fc.assert(
      fc.property(prefix, fc.string({ maxLength: 120 }), (p, rest) => {
        try {
          const s = scoreCvss(p + rest);
          assert.ok(s.score >= 0 && s.score <= 10);
        } catch (err) {
          assert.ok(err instanceof CvssVectorError, String(err));
        }
      }),
      { numRuns: 500 },
    );
  });
});
