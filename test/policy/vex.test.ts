import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseOpenVex, applyVex } from '../../src/policy/vex.ts';
import { purlCovers } from '../../src/policy/purl-match.ts';
import { UserInputError } from '../../src/util/errors.ts';
import { DIGEST, sampleReport } from './fixture.ts';

function doc(statements: unknown[]): string {
  return JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'https://example/vex-1', author: 'sec', timestamp: '2026-01-01T00:00:00Z', version: 1, statements });
}

describe('purlCovers', () => {
  test('version and qualifiers only constrain when the rule states them', () => {
    const pkg = 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12';
    assert.ok(purlCovers('pkg:deb/debian/openssl', pkg));
    assert.ok(purlCovers('pkg:deb/debian/openssl@3.0.11-1~deb12u2', pkg));
    assert.ok(purlCovers('pkg:deb/debian/openssl?distro=debian-12', pkg));
    assert.ok(!purlCovers('pkg:deb/debian/openssl?distro=debian-11', pkg));
    assert.ok(!purlCovers('pkg:deb/debian/openssl@3.0.9-1', pkg));
    assert.ok(!purlCovers('pkg:deb/ubuntu/openssl', pkg));
    assert.ok(!purlCovers('pkg:deb/debian/openssl-dev', pkg));
    assert.ok(purlCovers('pkg:npm/%40scope/x@1.0.0', 'pkg:npm/%40scope/x@1.0.0'));
    assert.ok(purlCovers('pkg:pypi/Django_Rest', 'pkg:pypi/django-rest@1'));
  });
  test('fuzz: a purl covers itself and its versionless form', () => {
    const seg = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);
    fc.assert(
      fc.property(fc.constantFrom('npm', 'deb', 'maven', 'golang'), seg, seg, seg, (type, ns, name, version) => {
        const full = `pkg:${type}/${ns}/${name}@${version}`;
        assert.ok(purlCovers(full, full));
        assert.ok(purlCovers(`pkg:${type}/${ns}/${name}`, full));
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseOpenVex', () => {
  test('reads statements with object and string vulnerabilities, subcomponents', () => {
    const statements = parseOpenVex(
      doc([
        { vulnerability: { name: 'CVE-2023-1', aliases: ['GHSA-aaaa-bbbb-cccc'] }, products: [{ '@id': 'pkg:npm/lodash' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
        { vulnerability: 'CVE-2023-2', products: [{ '@id': `pkg:oci/app@${DIGEST.replace(':', '%3A')}`, subcomponents: [{ '@id': 'pkg:deb/debian/libssl3' }] }], status: 'fixed' },
      ]),
      'a.vex.json',
    );
    assert.equal(statements.length, 2);
    assert.deepEqual(statements[0]?.aliases, ['GHSA-aaaa-bbbb-cccc']);
    assert.deepEqual(statements[1]?.products[0]?.subcomponents, ['pkg:deb/debian/libssl3']);
    assert.equal(statements[1]?.source, 'a.vex.json');
  });
  test('invalid documents name the file', () => {
    assert.throws(() => parseOpenVex('{', 'v.json'), (e: unknown) => e instanceof UserInputError && e.message.startsWith('v.json'));
    assert.throws(() => parseOpenVex('{}', 'v.json'), /v\.json: not an OpenVEX document/);
    assert.throws(() => parseOpenVex(doc([{ vulnerability: 'CVE-1', products: [{ '@id': 'x' }], status: 'maybe' }]), 'v.json'), /status must be one of/);
    assert.throws(() => parseOpenVex(doc([{ vulnerability: 'CVE-1', status: 'fixed' }]), 'v.json'), /no products/);
  });
  test('fuzz: arbitrary JSON never crashes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        try {
          parseOpenVex(JSON.stringify({ statements: [value] }), 'f');
        } catch (e) {
          assert.ok(e instanceof UserInputError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('applyVex', () => {
  test('not_affected by versionless purl matches via alias; summary excludes it', () => {
    const s = parseOpenVex(doc([{ vulnerability: { name: 'GHSA-aaaa-bbbb-cccc' }, products: [{ '@id': 'pkg:npm/lodash' }], status: 'not_affected', justification: 'vulnerable_code_not_present' }]), 'v.json');
    const out = applyVex(sampleReport(), s);
    assert.deepEqual(out.vulnerabilities[0]?.suppressed, { by: 'vex', reason: 'not_affected: vulnerable_code_not_present', source: 'v.json' });
    assert.equal(out.summary.critical, 0);
    assert.equal(out.vulnerabilities.length, 4);
  });
  test('versioned purl must match the installed version', () => {
    const miss = parseOpenVex(doc([{ vulnerability: 'CVE-2023-1', products: [{ '@id': 'pkg:npm/lodash@4.17.21' }], status: 'not_affected' }]), 'v');
    assert.equal(applyVex(sampleReport(), miss).vulnerabilities[0]?.suppressed, undefined);
    const hit = parseOpenVex(doc([{ vulnerability: 'CVE-2023-1', products: [{ '@id': 'pkg:npm/lodash@4.17.20' }], status: 'not_affected' }]), 'v');
    assert.equal(applyVex(sampleReport(), hit).vulnerabilities[0]?.suppressed?.by, 'vex');
  });
  test('image digest product with subcomponent purls limits to those packages', () => {
    const s = parseOpenVex(doc([{ vulnerability: 'CVE-2023-2', products: [{ '@id': `pkg:oci/app@${DIGEST.replace(':', '%3A')}`, subcomponents: [{ '@id': 'pkg:deb/debian/libssl3' }] }], status: 'fixed' }]), 'v');
    assert.deepEqual(applyVex(sampleReport(), s).vulnerabilities.map((v) => v.suppressed?.by), [undefined, undefined, 'vex', undefined]);
    const otherImage = parseOpenVex(doc([{ vulnerability: 'CVE-2023-2', products: [{ '@id': `registry.example/app@sha256:${'cd'.repeat(32)}` }], status: 'fixed' }]), 'v');
    assert.equal(applyVex(sampleReport(), otherImage).summary.total, 4);
    const byRef = parseOpenVex(doc([{ vulnerability: 'CVE-2023-2', products: [{ '@id': 'registry.example/app:1.2' }], status: 'not_affected' }]), 'v');
    assert.equal(applyVex(sampleReport(), byRef).summary.total, 2);
  });
  test('affected / under_investigation never suppress, and a later statement overrides an earlier one', () => {
    const s = parseOpenVex(doc([
      { vulnerability: 'CVE-2023-1', products: [{ '@id': 'pkg:npm/lodash' }], status: 'not_affected' },
      { vulnerability: 'CVE-2023-1', products: [{ '@id': 'pkg:npm/lodash' }], status: 'affected' },
      { vulnerability: 'CVE-2024-9', products: [{ '@id': 'pkg:pypi/django' }], status: 'under_investigation' },
    ]), 'v');
    assert.equal(applyVex(sampleReport(), s).summary.total, 4);
  });
});
