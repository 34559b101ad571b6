import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../src/report/index.ts';
import { richReport } from './fixture.ts';
import { checkSpdx23, cycloneDxViolations } from './schemas.ts';
import type { Package } from '../../src/model/inventory.ts';
import type { Vulnerability } from '../../src/model/report.ts';

type Json = Record<string, unknown>;
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

test('cyclonedx-json: required fields, unique bom-refs, every affects/dependency ref resolves, VEX analysis', () => {
  const text = renderReport(richReport(), 'cyclonedx-json');
  assert.equal(text, renderReport(richReport(), 'cyclonedx-json'), 'deterministic');
  const bom = JSON.parse(text) as Json;
  assert.deepEqual(cycloneDxViolations(bom), [], 'valid against the official CycloneDX 1.6 schema');
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.equal(bom.specVersion, '1.6');
  assert.match(String(bom.serialNumber), /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const metadata = bom.metadata as Json;
  assert.equal(metadata.timestamp, '2026-11-23T10:00:00Z');
  const subject = metadata.component as Json;
  assert.equal(subject.type, 'container');
  assert.match(String(subject.purl), /^pkg:oci\/app@sha256%3Aabab.*repository_url=registry\.example%2Fteam%2Fapp&tag=1\.2$/);
  const components = arr(bom.components);
  const refs = components.map((c) => String(c['bom-ref']));
  assert.equal(new Set(refs).size, refs.length);
  assert.equal(components.filter((c) => c.type === 'operating-system').length, 1);
  const all = new Set([...refs, String(subject['bom-ref'])]);
  for (const d of arr(bom.dependencies)) {
    assert.ok(all.has(String(d.ref)));
    for (const r of d.dependsOn as string[]) assert.ok(all.has(r));
  }
  const vulns = arr(bom.vulnerabilities);
  assert.equal(vulns.length, 5);
  for (const v of vulns) for (const a of arr(v.affects)) assert.ok(all.has(String(a.ref)), `dangling affects ${String(a.ref)}`);
  const ssl = vulns.find((v) => v.id === 'CVE-2024-0727');
  assert.deepEqual(arr(ssl?.ratings)[0], { source: { name: 'nvd' }, score: 5.5, severity: 'medium', method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H' });
  assert.equal(ssl?.recommendation, 'Upgrade libssl3 to 3.0.13-1~deb12u1');
  assert.equal(arr(vulns.find((v) => v.id === 'CVE-2022-3715')?.ratings)[0]?.method, 'CVSSv4');
  const lodash = vulns.find((v) => v.id === 'CVE-2021-23337');
  assert.deepEqual((lodash?.analysis as Json).state, 'not_affected');
  assert.equal((lodash?.analysis as Json).justification, 'code_not_reachable');
  const libssl = components.find((c) => c.name === 'libssl3');
  assert.ok(arr(libssl?.properties).some((p) => p.name === 'portwarden:source:name' && p.value === 'openssl'));
});

test('spdx-json: required fields, unique SPDXIDs, relationships resolve, container/OS purposes', () => {
  const text = renderReport(richReport(), 'spdx-json');
  assert.equal(text, renderReport(richReport(), 'spdx-json'), 'deterministic');
  const doc = JSON.parse(text) as Json;
  assert.deepEqual(checkSpdx23(doc), [], 'follows the SPDX 2.3 rules');
  assert.equal(doc.spdxVersion, 'SPDX-2.3');
  assert.equal(doc.dataLicense, 'CC0-1.0');
  assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
  assert.match(String(doc.documentNamespace), /^https:\/\/portwarden\.dev\/spdx\/.+-[0-9a-f-]{36}$/);
  assert.deepEqual((doc.creationInfo as Json).creators, ['Tool: portwarden-0.1.0']);
  const packages = arr(doc.packages);
  const ids = packages.map((p) => String(p.SPDXID));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^SPDXRef-[A-Za-z0-9.-]+$/);
  for (const p of packages) for (const field of ['name', 'downloadLocation']) assert.ok(field in p);
  const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
  for (const r of arr(doc.relationships)) {
    assert.ok(known.has(String(r.spdxElementId)) && known.has(String(r.relatedSpdxElement)));
  }
  assert.equal(packages.filter((p) => p.primaryPackagePurpose === 'CONTAINER').length, 1);
  assert.equal(packages.filter((p) => p.primaryPackagePurpose === 'OPERATING-SYSTEM').length, 1);
  assert.equal(arr(doc.relationships).filter((r) => r.relationshipType === 'CONTAINS').length, packages.length - 1);
  const ssl = packages.find((p) => p.name === 'libssl3');
  assert.equal(ssl?.sourceInfo, 'built from source package openssl 3.0.11-1~deb12u2');
  assert.equal(arr(ssl?.externalRefs)[0]?.referenceType, 'purl');
});

test('licences: SPDX ids stay ids, compound expressions become one expression, other names stay names; both formats valid', () => {
  const report = richReport();
  const [ssl, bash, lodash, django] = report.packages as [Package, Package, Package, Package];
  ssl.licenses = ['GPL-2+', 'Expat', 'apache-2.0'];
  bash.licenses = ['GPL-3.0-or-later'];
  lodash.licenses = ['MIT OR Apache-2.0', 'BSD-3-Clause'];
  django.licenses = ['MIT OR Apache-2.0', 'GPL-2+'];
  const bom = JSON.parse(renderReport(report, 'cyclonedx-json')) as Json;
  assert.deepEqual(cycloneDxViolations(bom), []);
  const byName = new Map(arr(bom.components).map((c) => [c.name, c.licenses]));
  assert.deepEqual(byName.get('libssl3'), [{ license: { name: 'GPL-2+' } }, { license: { name: 'Expat' } }, { license: { id: 'Apache-2.0' } }]);
  assert.deepEqual(byName.get('bash'), [{ license: { id: 'GPL-3.0-or-later' } }]);
  assert.deepEqual(byName.get('lodash'), [{ expression: '(MIT OR Apache-2.0) AND BSD-3-Clause' }]);
  assert.deepEqual(byName.get('Django'), [{ license: { name: 'MIT OR Apache-2.0' } }, { license: { name: 'GPL-2+' } }], 'no expression when one part is not SPDX');
  const spdx = JSON.parse(renderReport(report, 'spdx-json')) as Json;
  assert.deepEqual(checkSpdx23(spdx), []);
  const pkgs = new Map(arr(spdx.packages).map((p) => [p.name, p]));
  assert.equal(pkgs.get('libssl3')?.licenseDeclared, 'NOASSERTION');
  assert.equal(pkgs.get('libssl3')?.licenseComments, 'declared by the package, not SPDX licence ids: GPL-2+, Expat');
  assert.equal(pkgs.get('bash')?.licenseDeclared, 'GPL-3.0-or-later');
  assert.equal(pkgs.get('lodash')?.licenseDeclared, '(MIT OR Apache-2.0) AND BSD-3-Clause');
});

test('a purl that is not one (from a foreign SBOM) is left out; unparsable advisory dates are left out', () => {
  const report = richReport();
  (report.packages[0] as Package).purl = 'not a purl';
  const v = report.vulnerabilities[0] as Vulnerability;
  v.published = 'last tuesday';
  v.modified = '2024-01-02T03:04:05.123456Z';
  const bom = JSON.parse(renderReport(report, 'cyclonedx-json')) as Json;
  assert.deepEqual(cycloneDxViolations(bom), []);
  assert.equal(arr(bom.components).find((c) => c.name === 'libssl3')?.purl, undefined);
  const vuln = arr(bom.vulnerabilities).find((x) => x.id === v.id);
  assert.equal(vuln?.published, undefined);
  assert.equal(vuln?.updated, '2024-01-02T03:04:05.123Z');
  const spdx = JSON.parse(renderReport(report, 'spdx-json')) as Json;
  assert.deepEqual(checkSpdx23(spdx), []);
  assert.equal(arr(spdx.packages).find((p) => p.name === 'libssl3')?.externalRefs, undefined);
});
