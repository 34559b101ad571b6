import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIgnoreFile, applyIgnoreRules } from '../../src/policy/ignorefile.ts';
import { UserInputError } from '../../src/util/errors.ts';
import { sampleReport } from './fixture.ts';

const NOW = new Date('2026-11-23T12:00:00Z');

describe('parseIgnoreFile', () => {
  test('Portwarden YAML list with package and expiry', () => {
    const rules = parseIgnoreFile(
      '# waivers\n- id: CVE-2023-1\n  package: lodash\n  reason: not reachable\n  expires: 2026-12-31\n- id: CVE-2023-2\n  reason: x\n',
      '.portwardenignore.yaml',
    );
    assert.deepEqual(rules[0], { id: 'CVE-2023-1', package: 'lodash', reason: 'not reachable', expires: '2026-12-31', source: '.portwardenignore.yaml' });
    assert.equal(rules[1]?.id, 'CVE-2023-2');
    assert.equal(rules[1]?.expires, undefined);
  });

  test('Trivy plain .trivyignore with comments and exp:', () => {
    const rules = parseIgnoreFile('# header\nCVE-2023-1\n\nCVE-2023-2 exp:2026-01-01 # vendor says ok\n', '.trivyignore');
    assert.deepEqual(rules.map((r) => r.id), ['CVE-2023-1', 'CVE-2023-2']);
    assert.equal(rules[1]?.expires, '2026-01-01');
    assert.equal(rules[1]?.reason, 'vendor says ok');
  });

  test('Trivy YAML form with purls, paths, expired_at, statement', () => {
    const rules = parseIgnoreFile(
      'vulnerabilities:\n  - id: CVE-2023-2\n    purls: ["pkg:deb/debian/libssl3"]\n    expired_at: 2027-01-01\n    statement: mitigated\n',
      '.trivyignore.yaml',
    );
    assert.deepEqual(rules, [{ id: 'CVE-2023-2', purls: ['pkg:deb/debian/libssl3'], reason: 'mitigated', expires: '2027-01-01', source: '.trivyignore.yaml' }]);
  });

  test('bad input names the file', () => {
    assert.throws(() => parseIgnoreFile('- id: CVE-1\n  expires: next week\n', 'ign.yaml'), (e: unknown) => e instanceof UserInputError && e.message.includes('ign.yaml'));
    assert.throws(() => parseIgnoreFile('- reason: no id\n', 'ign.yaml'), /ign\.yaml: entry 1 has no id/);
    assert.throws(() => parseIgnoreFile('- id: [unclosed\n', 'bad.yaml'), /bad\.yaml/);
    assert.throws(() => parseIgnoreFile('CVE-1 exp:soon\n', '.trivyignore'), /\.trivyignore/);
  });

  test('fuzz: arbitrary text either parses or throws UserInputError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const rules = parseIgnoreFile(text, 'f');
          for (const r of rules) assert.equal(typeof r.id, 'string');
        } catch (e) {
          assert.ok(e instanceof UserInputError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('applyIgnoreRules', () => {
  test('matches by id or alias, keeps findings listed, excludes them from summary', () => {
    const report = sampleReport();
    const rules = parseIgnoreFile('- id: GHSA-aaaa-bbbb-cccc\n  reason: unreachable\n- id: PYSEC-2024-1\n  reason: dev only\n', 'i.yaml');
    const out = applyIgnoreRules(report, rules, NOW);
    assert.equal(out.vulnerabilities.length, report.vulnerabilities.length);
    assert.deepEqual(out.vulnerabilities[0]?.suppressed, { by: 'ignorefile', reason: 'unreachable', source: 'i.yaml' });
    assert.equal(out.vulnerabilities[3]?.suppressed?.reason, 'dev only');
    assert.equal(out.vulnerabilities[1]?.suppressed, undefined);
    assert.equal(out.summary.total, 2);
    assert.equal(out.summary.critical, 0);
    assert.equal(report.vulnerabilities[0]?.suppressed, undefined, 'input not mutated');
  });

  test('package restriction by name and by versionless purl', () => {
    const byName = applyIgnoreRules(sampleReport(), parseIgnoreFile('- id: CVE-2023-2\n  package: libssl3\n  reason: r\n', 'i'), NOW);
    assert.deepEqual(byName.vulnerabilities.map((v) => v.suppressed !== undefined), [false, false, true, false]);
    const byPurl = applyIgnoreRules(sampleReport(), parseIgnoreFile('- id: CVE-2023-2\n  package: pkg:deb/debian/openssl\n  reason: r\n', 'i'), NOW);
    assert.deepEqual(byPurl.vulnerabilities.map((v) => v.suppressed !== undefined), [false, true, false, false]);
    const wrongVersion = applyIgnoreRules(sampleReport(), parseIgnoreFile('- id: CVE-2023-2\n  package: pkg:deb/debian/openssl@9\n  reason: r\n', 'i'), NOW);
    assert.equal(wrongVersion.summary.total, 4);
  });

  test('expiry: inclusive last day, expired rules warn and do not apply', () => {
    const rules = parseIgnoreFile('- id: CVE-2023-1\n  reason: r\n  expires: 2026-11-23\n', 'i.yaml');
    assert.equal(applyIgnoreRules(sampleReport(), rules, new Date('2026-11-23T23:59:59Z')).vulnerabilities[0]?.suppressed?.by, 'ignorefile');
    const expired = applyIgnoreRules(sampleReport(), rules, new Date('2026-11-24T00:00:00Z'));
    assert.equal(expired.vulnerabilities[0]?.suppressed, undefined);
    assert.equal(expired.summary.critical, 1);
    assert.match(expired.warnings.join('\n'), /CVE-2023-1 in i\.yaml expired on 2026-11-23/);
  });

  test('Trivy paths restrict to the package file path', () => {
    const rules = parseIgnoreFile('vulnerabilities:\n  - id: CVE-2024-9\n    paths: ["/usr/lib/python3/dist-packages/Django-4.2.0.dist-info/METADATA"]\n', 't.yaml');
    assert.equal(applyIgnoreRules(sampleReport(), rules, NOW).vulnerabilities[3]?.suppressed?.source, 't.yaml');
    const other = parseIgnoreFile('vulnerabilities:\n  - id: CVE-2024-9\n    paths: ["/elsewhere"]\n', 't.yaml');
    assert.equal(applyIgnoreRules(sampleReport(), other, NOW).vulnerabilities[3]?.suppressed, undefined);
  });
});
