import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Package, PackageType } from '../../src/model/inventory.ts';
import { renderReport } from '../../src/report/index.ts';
import { readSbom } from '../../src/sbom/read.ts';
import { UserInputError } from '../../src/util/errors.ts';
import { richReport } from '../report/fixture.ts';

const key = (p: Package): unknown => ({ name: p.name, version: p.version, ecosystem: p.ecosystem, type: p.type, purl: p.purl, source: p.source, locations: p.locations, arch: p.arch });
const sortKeys = (ps: Package[]): unknown[] => ps.map(key).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('readSbom round trip', () => {
  for (const format of ['cyclonedx-json', 'spdx-json'] as const) {
    test(`${format}: fixture packages, OS, target and digest come back`, () => {
      const report = richReport();
      const back = readSbom(renderReport(report, format), `x.${format}`);
      assert.deepEqual(sortKeys(back.packages), sortKeys(report.packages));
      assert.equal(back.os?.ecosystem, 'Debian:12');
      assert.equal(back.os?.family, 'debian');
      assert.equal(back.os?.version, '12');
      assert.equal(back.digest, report.digest);
      assert.equal(back.target, report.target);
    });

    test(`${format}: property — random package lists round-trip`, () => {
      const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s !== '');
      const pkg = fc.record({
        name: text, version: text,
        type: fc.constantFrom<PackageType>('deb', 'npm', 'python', 'go-module', 'maven', 'apk'),
        ecosystem: fc.constantFrom('Debian:12', 'npm', 'PyPI', 'Go', 'Maven', 'Alpine:v3.19'),
        source: fc.option(fc.record({ name: text, version: text }), { nil: undefined }),
        path: fc.string({ maxLength: 40 }),
      }).map(({ name, version, type, ecosystem, source, path }): Package => ({
        name, version, type, ecosystem, purl: `pkg:${type}/${encodeURIComponent(name)}@${encodeURIComponent(version)}`,
        ...(source ? { source: { name: source.name, version: source.version } } : {}), locations: [{ layer: `sha256:${'0'.repeat(64)}`, path }],
      }));
      fc.assert(
        fc.property(fc.array(pkg, { maxLength: 15 }), (packages) => {
          const report = { ...richReport(), packages, vulnerabilities: [] };
          const back = readSbom(renderReport(report, format), 'f');
          assert.deepEqual(sortKeys(back.packages), sortKeys(packages));
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe('readSbom from other producers (purl-derived fields)', () => {
  test('CycloneDX from Syft/Trivy style: distro and upstream qualifiers', () => {
    const doc = {
      bomFormat: 'CycloneDX', specVersion: '1.5',
      components: [
        { type: 'operating-system', name: 'debian', version: '12.5' },
        { type: 'library', name: 'libssl3', version: '3.0.11-1~deb12u2', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12.5' },
        { type: 'library', name: 'libc6', version: '2.36-9', purl: 'pkg:deb/debian/libc6@2.36-9?upstream=glibc%402.36-9&distro=debian-12' },
        { type: 'library', name: 'musl', version: '1.2.4-r2', purl: 'pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.19.1' },
        { type: 'library', name: 'requests', version: '2.31.0', purl: 'pkg:pypi/requests@2.31.0', components: [{ type: 'library', name: 'x', version: '1', purl: 'pkg:npm/x@1' }] },
        { type: 'file', name: 'README' },
      ],
    };
    const back = readSbom(JSON.stringify(doc), 'syft.json');
    const byName = new Map(back.packages.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('libssl3')?.source, { name: 'openssl', version: '3.0.11-1~deb12u2' });
    assert.equal(byName.get('libssl3')?.ecosystem, 'Debian:12');
    assert.equal(byName.get('libssl3')?.arch, 'amd64');
    assert.deepEqual(byName.get('libc6')?.source, { name: 'glibc', version: '2.36-9' });
    assert.equal(byName.get('musl')?.ecosystem, 'Alpine:v3.19');
    assert.equal(byName.get('requests')?.type, 'python');
    assert.equal(byName.get('x')?.ecosystem, 'npm', 'nested components are read');
    assert.equal(byName.has('README'), false);
    assert.equal(back.os?.ecosystem, 'Debian:12');
  });

  test('CycloneDX from Trivy: source package from aquasecurity:trivy:SrcName/SrcVersion', () => {
    const doc = {
      bomFormat: 'CycloneDX', specVersion: '1.6',
      components: [{ type: 'library', name: 'libssl3', version: '3.0.11-1~deb12u2', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5',
        properties: [{ name: 'aquasecurity:trivy:SrcName', value: 'openssl' }, { name: 'aquasecurity:trivy:SrcVersion', value: '3.0.11-1~deb12u2' }] }],
    };
    const [pkg] = readSbom(JSON.stringify(doc), 'trivy.cdx.json').packages;
    assert.deepEqual(pkg?.source, { name: 'openssl', version: '3.0.11-1~deb12u2' });
    assert.equal(pkg?.ecosystem, 'Debian:12');
  });

  test('foreign OS ecosystems follow the OS analyzer (Ubuntu LTS suffix, Rocky major)', () => {
    const doc = { bomFormat: 'CycloneDX', specVersion: '1.4', components: [
      { type: 'operating-system', name: 'ubuntu', version: '22.04' },
      { type: 'library', name: 'libc6', version: '2.35-0ubuntu3.6', purl: 'pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?distro=ubuntu-22.04' },
      { type: 'library', name: 'bash', version: '5.1.8-6.el9', purl: 'pkg:rpm/rocky/bash@5.1.8-6.el9?distro=rocky-9.3' },
    ] };
    const back = readSbom(JSON.stringify(doc), 'u.json');
    assert.equal(back.os?.ecosystem, 'Ubuntu:22.04:LTS');
    assert.deepEqual(back.packages.map((p) => p.ecosystem), ['Ubuntu:22.04:LTS', 'Rocky Linux:9']);
  });

  test('SPDX 2.2 with purl externalRefs', () => {
    const doc = { spdxVersion: 'SPDX-2.2', SPDXID: 'SPDXRef-DOCUMENT', packages: [{ SPDXID: 'SPDXRef-a', name: 'lodash', versionInfo: '4.17.20', licenseDeclared: 'MIT', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.20' }] }] };
    const back = readSbom(JSON.stringify(doc), 'a.spdx.json');
    assert.deepEqual(back.packages.map((p) => [p.name, p.ecosystem, p.type, p.licenses]), [['lodash', 'npm', 'npm', ['MIT']]]);
  });

  test('bad input is a UserInputError naming the file; fuzzed JSON never crashes', () => {
    assert.throws(() => readSbom('<xml/>', 'b.xml'), (e: unknown) => e instanceof UserInputError && e.message.startsWith('b.xml'));
    assert.throws(() => readSbom('{"bomFormat":"CycloneDX","specVersion":"2.0"}', 'c.json'), /c\.json: CycloneDX specVersion 2\.0/);
    assert.throws(() => readSbom('[]', 'd.json'), /d\.json/);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), (value, cdx) => {
        const doc = cdx ? { bomFormat: 'CycloneDX', specVersion: '1.6', components: [value], metadata: value } : { spdxVersion: 'SPDX-2.3', packages: [value], documentDescribes: value };
        try {
          readSbom(JSON.stringify(doc), 'f');
        } catch (e) {
          assert.ok(e instanceof UserInputError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });
});
